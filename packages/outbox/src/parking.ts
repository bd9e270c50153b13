import pg from "pg";
import { OutboxError } from "./errors.js";
import type { OutboxTables } from "./partitions.js";

/** An aggregate whose events wait behind an outbox row no relay could encode. */
export interface ParkedAggregate {
  readonly aggregateKey: string;
  readonly bucket: number;
  /** The outbox id of the row it waits behind. */
  readonly outboxId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly topic: string;
  readonly code: string;
  readonly reason: string;
  readonly parkedAt: Date;
  /** What an operator asked for and the relay has not done yet. */
  readonly release: "retry" | "skip" | null;
}

/** The open parks of an outbox (on the search_path of `db`), oldest first. */
export async function listParked(db: pg.Pool | pg.ClientBase): Promise<ParkedAggregate[]> {
  const { rows } = await db.query<ParkedAggregate>(
    `SELECT aggregate_key AS "aggregateKey", bucket, outbox_id::text AS "outboxId", event_id::text AS "eventId",
            event_type AS "eventType", topic, code, reason, parked_at AS "parkedAt", release
       FROM outbox_parked WHERE resolved_at IS NULL ORDER BY parked_at, aggregate_key`,
  );
  return rows;
}

/**
 * Releases a parked aggregate. `retry`: the owning relay tries the row again (a relay that now
 * knows its schema publishes it and the rows behind it; otherwise it stays parked). `skip`: the row
 * is never published (its copy stays in `outbox_parked` with `by` and `note`), the rows behind it
 * are. The relay acts within a few seconds. Returns false when the aggregate had no open park.
 */
export async function releaseParked(
  db: pg.Pool | pg.ClientBase,
  request: { aggregateKey: string; action: "retry" | "skip"; by: string; note?: string },
): Promise<boolean> {
  if (request.action !== "retry" && request.action !== "skip")
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `action must be "retry" or "skip", got "${request.action}"`,
    );
  if (!request.by.trim()) throw new OutboxError("OUTBOX_INVALID_OPTIONS", "by must name who releases it");
  const { rowCount } = await db.query(
    `UPDATE outbox_parked SET release = $2, released_by = $3, note = $4, released_at = now()
      WHERE aggregate_key = $1 AND resolved_at IS NULL`,
    [request.aggregateKey, request.action, request.by, request.note ?? null],
  );
  return (rowCount ?? 0) > 0;
}

/** What the relay keeps in memory of one open park. */
export interface OpenPark {
  readonly aggregateKey: string;
  readonly bucket: number;
  readonly outboxId: bigint;
  readonly release: "retry" | "skip" | null;
}

export async function openParks(
  client: pg.ClientBase,
  tables: OutboxTables,
  buckets: readonly number[],
): Promise<OpenPark[]> {
  const { rows } = await client.query<{
    key: string;
    bucket: number;
    id: string;
    release: OpenPark["release"];
  }>(
    `SELECT aggregate_key AS key, bucket, outbox_id::text AS id, release FROM ${parkedTable(tables)}
      WHERE resolved_at IS NULL AND bucket = ANY($1::smallint[])`,
    [buckets],
  );
  return rows.map((row) => ({
    aggregateKey: row.key,
    bucket: row.bucket,
    outboxId: BigInt(row.id),
    release: row.release,
  }));
}

/** Parks the aggregate of outbox row `id` (copying the row); does nothing if it is parked already. */
export async function park(
  client: pg.ClientBase,
  tables: OutboxTables,
  row: { id: string; bucket: number; aggregateKey: string },
  failure: { code: string; reason: string },
): Promise<void> {
  await client.query(
    `INSERT INTO ${parkedTable(tables)} (aggregate_key, outbox_id, bucket, event_id, event_type, topic, payload, code, reason)
     SELECT o.aggregate_key, o.id, o.bucket, o.event_id, o.event_type, o.topic, o.payload, $3, $4
       FROM ${tables.outbox} o WHERE o.id = $1::bigint AND o.aggregate_key = $2
     ON CONFLICT DO NOTHING`,
    [row.id, row.aggregateKey, failure.code, failure.reason],
  );
}

/**
 * Closes the open park of an aggregate, and (when the drain stopped at another row) parks it at
 * that one, in one transaction so the aggregate is never unparked in between.
 */
export async function resolvePark(
  client: pg.ClientBase,
  tables: OutboxTables,
  aggregateKey: string,
  resolution: "published" | "skipped",
  next?: {
    row: { id: string; bucket: number; aggregateKey: string };
    failure: { code: string; reason: string };
  },
): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(
      `UPDATE ${parkedTable(tables)} SET resolution = $2, resolved_at = now()
        WHERE aggregate_key = $1 AND resolved_at IS NULL`,
      [aggregateKey, resolution],
    );
    if (next) await park(client, tables, next.row, next.failure);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** A retry that failed again: the park stays, waiting for the next request. */
export async function keepParked(
  client: pg.ClientBase,
  tables: OutboxTables,
  aggregateKey: string,
  reason: string,
): Promise<void> {
  await client.query(
    `UPDATE ${parkedTable(tables)} SET release = NULL, reason = $2
      WHERE aggregate_key = $1 AND resolved_at IS NULL`,
    [aggregateKey, reason],
  );
}

function parkedTable(tables: OutboxTables): string {
  return `${pg.escapeIdentifier(tables.schema)}.outbox_parked`;
}
