/** One reading of the id sequence and the transaction horizon, taken in a single statement. */
export interface SequenceProbe {
  /** The highest outbox id handed out so far (it may belong to a transaction still running). */
  readonly issued: bigint;
  /** `pg_snapshot_xmin`: every transaction id below it has committed or rolled back. */
  readonly xmin: bigint;
  /** A transaction id taken after `issued` was read, when the probe asked for one. */
  readonly fence: bigint | null;
}

const MAX_PENDING_FENCES = 4;

/**
 * Tracks the highest outbox id below which every row is final (committed and visible, or never
 * going to exist). Ids are handed out in insert order but transactions commit in any order, so a
 * visible row does not prove that smaller ids are settled. Each outbox writer takes its transaction
 * id before its row id, so a transaction id taken after reading the sequence (a fence) is greater
 * than the transaction id of every writer holding an id up to what was read; once the horizon
 * `xmin` passes the fence, all those writers have finished, and every id up to the reading is final.
 *
 * Publishing in id order below this watermark never skips a row, and keeps each aggregate's events
 * in the order they were written (a later write to an aggregate gets a larger id), which ordering by
 * transaction id alone would not.
 */
export class PublicationWatermark {
  private readonly pending: { issued: bigint; fence: bigint }[] = [];
  private fenced = -1n;
  private settled = 0n;

  /** Every outbox id up to this one is final. */
  get safeThrough(): bigint {
    return this.settled;
  }

  /** True while fences wait for transactions to finish (ids were handed out but are not settled yet). */
  get waiting(): boolean {
    return this.pending.length > 0;
  }

  /** The next probe takes a fence only if ids were handed out since the last one, and few are waiting. */
  fenceRequest(): { wanted: boolean; after: bigint } {
    return { wanted: this.pending.length < MAX_PENDING_FENCES, after: this.fenced };
  }

  observe(probe: SequenceProbe): void {
    while (this.pending.length > 0 && this.pending[0]!.fence <= probe.xmin) {
      const passed = this.pending.shift()!;
      if (passed.issued > this.settled) this.settled = passed.issued;
    }
    if (probe.fence !== null && probe.issued > this.fenced) {
      this.pending.push({ issued: probe.issued, fence: probe.fence });
      this.fenced = probe.issued;
    }
  }
}
