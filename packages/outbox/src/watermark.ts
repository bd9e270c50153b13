/** One reading of the id sequence and of the outbox's writers, taken in a single statement. */
export interface SequenceProbe {
  /** The highest outbox id handed out so far (it may belong to a transaction still running). */
  readonly issued: bigint;
  /**
   * The transactions holding the outbox's writer lock, read after `issued`, each named by its
   * virtual transaction id and its transaction ids if it has any; null when the probe did not read
   * them (nothing was waiting and nothing was new).
   */
  readonly writers: readonly Writer[] | null;
}

/**
 * The names of one writing transaction: its virtual transaction id (held from its first lock, even
 * before it has a transaction id) and its transaction ids (which survive `PREPARE TRANSACTION`,
 * where the virtual one changes). It is gone when none of them holds the lock any more.
 */
export type Writer = readonly string[];

const MAX_PENDING_READINGS = 4;

/**
 * Tracks the highest outbox id below which every row is final (committed and visible, or never
 * going to exist). Ids are handed out in insert order but transactions commit in any order, so a
 * visible row does not prove that smaller ids are settled.
 *
 * Why waiting for the writers seen at a reading is enough: an outbox writer takes its lock on the
 * outbox (ROW EXCLUSIVE, when its INSERT is planned) before it takes its row id, and keeps the lock
 * to its end. A probe reads the sequence (`issued`) and then, in the same statement, the holders of
 * that lock. A writer holding an id up to `issued` took the id before the sequence was read, so it
 * held the lock then, and unless it has finished it is among the holders read. Once none of those
 * holders holds the lock any longer, all of them have ended, and every id up to `issued` is final.
 * The holders are read in one call of `pg_locks`, so a transaction is never half seen while it
 * prepares; a subtransaction rolled back releases the lock, but its row is gone with it.
 * Only transactions that write the outbox hold publication back: a long transaction elsewhere in
 * the cluster (another table, another database) or a reader of the outbox (`pg_dump`) does not,
 * and no transaction id is spent on fences.
 *
 * Publishing in id order below this watermark never skips a row, and keeps each aggregate's events
 * in the order they were written (a later write to an aggregate gets a larger id), which ordering by
 * transaction id alone would not.
 *
 * A watermark belongs to one database session: after a reconnect (possibly to a promoted replica)
 * the relay starts a new one. Ids coming back lower than seen before (a lost sequence state) make
 * {@link observe} reset it and report the regression.
 */
export class PublicationWatermark {
  private readonly pending: { issued: bigint; writers: Writer[] }[] = [];
  private fenced = -1n;
  private settled = 0n;
  private highest = -1n;

  /** Every outbox id up to this one is final. */
  get safeThrough(): bigint {
    return this.settled;
  }

  /** True while readings wait for writers to finish, or ids were handed out since the last reading. */
  get waiting(): boolean {
    return this.pending.length > 0 || this.highest > this.fenced;
  }

  /**
   * What the next probe must read the writers for: always while readings wait, and for a new
   * reading when ids were handed out after `after` and there is room for one.
   */
  writersRequest(): { waiting: boolean; room: boolean; after: bigint } {
    return {
      waiting: this.pending.length > 0,
      room: this.pending.length < MAX_PENDING_READINGS,
      after: this.fenced,
    };
  }

  /** Returns "regressed" when the sequence came back lower than before: the watermark starts over. */
  observe(probe: SequenceProbe): "ok" | "regressed" {
    if (probe.issued < this.highest) {
      this.pending.length = 0;
      this.fenced = -1n;
      this.settled = 0n;
      this.highest = probe.issued;
      return "regressed";
    }
    this.highest = probe.issued;
    const writers = probe.writers;
    if (writers === null) return "ok";
    const holding = new Set(writers.flat());
    for (const reading of this.pending)
      reading.writers = reading.writers.filter((writer) => writer.some((name) => holding.has(name)));
    this.settle();
    if (probe.issued > this.fenced && this.pending.length < MAX_PENDING_READINGS) {
      this.pending.push({ issued: probe.issued, writers: [...writers] });
      this.fenced = probe.issued;
      this.settle();
    }
    return "ok";
  }

  private settle(): void {
    while (this.pending.length > 0 && this.pending[0]!.writers.length === 0) {
      const passed = this.pending.shift()!;
      if (passed.issued > this.settled) this.settled = passed.issued;
    }
  }
}
