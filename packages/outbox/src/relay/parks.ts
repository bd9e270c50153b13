import { keepParked, type OpenPark, openParks, park, resolvePark } from "../parking.js";
import { notify } from "../retry.js";
import { databaseError, type RelayContext } from "./context.js";
import { encodeRow } from "./encoding.js";
import type { Encoded, Publisher } from "./publisher.js";
import { type Row, readParkedRows } from "./reading.js";
import type { RelaySession } from "./session.js";

/**
 * Parking: a row that can never be encoded parks its aggregate, not its bucket. The aggregate's
 * later rows wait behind it while every other aggregate flows, until a relay can encode it (after a
 * takeover or an operator's retry) or an operator skips it.
 */
export class Parks {
  constructor(
    private readonly ctx: RelayContext,
    private readonly publisher: Publisher,
  ) {}

  /**
   * Publishes `rows` (in id order) except those of parked aggregates; a row that can never be
   * encoded parks its aggregate before anything is sent, so its later rows wait behind it.
   */
  async publish(s: RelaySession, rows: readonly Row[]): Promise<void> {
    const encoded = await Promise.all(
      rows.map((row) => (s.parked.has(row.aggregate_key) ? undefined : encodeRow(this.ctx.serde, row))),
    );
    const sendable: Encoded[] = [];
    for (const [index, row] of rows.entries()) {
      const value = encoded[index];
      if (value === undefined || s.parked.has(row.aggregate_key)) continue;
      if (Buffer.isBuffer(value)) sendable.push({ row, value });
      else await this.parkRow(s, row, value.unencodable);
    }
    if (sendable.length > 0) await this.publisher.send(sendable);
  }

  /**
   * Tries the parks of the owned buckets that an operator released, or that this session has not
   * tried yet (after a restart or a takeover, possibly by a relay of a newer build): publishes the
   * rows each aggregate holds back, up to its bucket's cursor (later ones flow as usual).
   */
  async refresh(s: RelaySession): Promise<void> {
    const open = await openParks(s.client, s.tables, [...s.owned.keys()]);
    const due = open.filter((p) => p.release !== null || !s.parked.has(p.aggregateKey));
    const keys = new Set(open.map((p) => p.aggregateKey));
    for (const key of [...s.parked.keys()]) if (!keys.has(key)) this.drop(s, key);
    for (const p of open) this.set(s, p);
    for (const p of due) await this.drain(s, p);
  }

  private async drain(s: RelaySession, open: OpenPark): Promise<void> {
    const cursor = s.owned.get(open.bucket);
    // Below the cursor the parked rows are passed over; the release waits until the cursor is past
    // the parked row (it is behind it only after a rewind).
    if (cursor === undefined || cursor < open.outboxId) return;
    const skip = open.release === "skip";
    const rows = await readParkedRows(s, open, cursor);
    const held = skip ? rows.filter((row) => BigInt(row.id) !== open.outboxId) : rows;
    const sendable: Encoded[] = [];
    let stuck: { row: Row; reason: string } | undefined;
    for (const row of held) {
      const value = await encodeRow(this.ctx.serde, row);
      if (!Buffer.isBuffer(value)) {
        stuck = { row, reason: value.unencodable };
        break;
      }
      sendable.push({ row, value });
    }
    const resolution = skip ? "skipped" : "published";
    try {
      if (stuck && BigInt(stuck.row.id) === open.outboxId) {
        await keepParked(s.client, s.tables, open.aggregateKey, stuck.reason);
        this.set(s, { ...open, release: null });
        return;
      }
      if (sendable.length > 0) await this.publisher.send(sendable);
      const next = stuck && {
        row: { id: stuck.row.id, bucket: stuck.row.bucket, aggregateKey: stuck.row.aggregate_key },
        failure: { code: "OUTBOX_UNENCODABLE_ROW", reason: stuck.reason },
      };
      await resolvePark(s.client, s.tables, open.aggregateKey, resolution, next);
    } catch (error) {
      throw databaseError("could not release a parked aggregate", error);
    }
    this.drop(s, open.aggregateKey);
    notify(this.ctx.hooks.unparked, { aggregateKey: open.aggregateKey, resolution });
    if (stuck) this.noteParked(s, stuck.row, stuck.reason);
  }

  private async parkRow(s: RelaySession, row: Row, reason: string): Promise<void> {
    const key = { id: row.id, bucket: row.bucket, aggregateKey: row.aggregate_key };
    await park(s.client, s.tables, key, { code: "OUTBOX_UNENCODABLE_ROW", reason }).catch(
      (error: unknown) => {
        throw databaseError("could not park an aggregate", error);
      },
    );
    this.noteParked(s, row, reason);
  }

  /** Memory, metrics and the hook of a park already written. */
  private noteParked(s: RelaySession, row: Row, reason: string): void {
    this.set(s, {
      aggregateKey: row.aggregate_key,
      bucket: row.bucket,
      outboxId: BigInt(row.id),
      release: null,
    });
    notify(this.ctx.hooks.parked, {
      aggregateKey: row.aggregate_key,
      outboxId: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      code: "OUTBOX_UNENCODABLE_ROW",
      reason,
    });
  }

  private set(s: RelaySession, open: OpenPark): void {
    if (!s.parked.has(open.aggregateKey)) this.ctx.metrics.parkedAggregates.inc();
    s.parked.set(open.aggregateKey, open);
  }

  private drop(s: RelaySession, aggregateKey: string): void {
    if (s.parked.delete(aggregateKey)) this.ctx.metrics.parkedAggregates.dec();
  }
}
