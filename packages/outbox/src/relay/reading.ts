import type { OpenPark } from "../parking.js";
import { databaseError } from "./context.js";
import type { PendingRead, Row } from "./rows.js";
import type { RelaySession } from "./session.js";

export type { PendingRead, Row };

/** How far past the laggard cursor one read looks, in batches. */
const READ_WINDOW_BATCHES = 4;

const ROW_COLUMNS = `o.id::text AS id, o.bucket, o.topic, o.aggregate_key, o.event_type, o.event_id::text AS event_id,
              o.correlation_id, o.traceparent, o.body, CASE WHEN o.body IS NULL OR o.schema_fingerprint IS NULL THEN o.payload END AS payload,
              o.schema_fingerprint,
              extract(epoch FROM o.created_at) * 1000 AS written_ms`;

export function sameCursors(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [bucket, cursor] of a) if (b.get(bucket) !== cursor) return false;
  return true;
}

/** Starts reading the next batch after `from`, up to a window of a few batches below `through`. */
export function startRead(
  s: RelaySession,
  from: ReadonlyMap<number, bigint>,
  through: bigint,
  batchSize: number,
): PendingRead | undefined {
  if (from.size === 0) return undefined;
  const laggard = [...from.values()].reduce((min, cursor) => (cursor < min ? cursor : min));
  if (laggard >= through) return undefined;
  const window = laggard + BigInt(batchSize * READ_WINDOW_BATCHES);
  const upper = window < through ? window : through;
  const snapshot = new Map(from);
  const rows = readRows(s, snapshot, upper, batchSize).catch((error: unknown) => {
    throw databaseError("could not read the outbox", error);
  });
  // Awaited later, or dropped unawaited when the next cycle cannot use it.
  rows.catch(() => {});
  return { from: snapshot, upper, rows };
}

/**
 * Reads up to a batch in id order from the owned buckets, looking no further than `upper`: a window
 * of a few batches past the laggard cursor, so a large backlog is never scanned wholesale.
 */
async function readRows(
  s: RelaySession,
  from: ReadonlyMap<number, bigint>,
  upper: bigint,
  batchSize: number,
): Promise<Row[]> {
  const buckets = [...from.keys()];
  const { rows } = await s.client.query<Row>(
    `SELECT ${ROW_COLUMNS}
         FROM unnest($1::smallint[], $2::bigint[]) AS c(bucket, after)
        CROSS JOIN LATERAL (
          SELECT * FROM ${s.tables.outbox} o
           WHERE o.bucket = c.bucket AND o.id > c.after AND o.id <= $3::bigint
           ORDER BY o.id LIMIT $4
        ) o
        ORDER BY o.id LIMIT $4`,
    [buckets, buckets.map((b) => from.get(b)!.toString()), upper.toString(), batchSize],
  );
  return rows;
}

/** The rows a parked aggregate holds back, from its parked row up to its bucket's cursor. */
export async function readParkedRows(s: RelaySession, open: OpenPark, cursor: bigint): Promise<Row[]> {
  const { rows } = await s.client
    .query<Row>(
      `SELECT ${ROW_COLUMNS}
           FROM ${s.tables.outbox} o
          WHERE o.bucket = $1 AND o.aggregate_key = $2 AND o.id >= $3::bigint AND o.id <= $4::bigint
          ORDER BY o.id`,
      [open.bucket, open.aggregateKey, open.outboxId.toString(), cursor.toString()],
    )
    .catch((error: unknown) => {
      throw databaseError("could not read a parked aggregate", error);
    });
  return rows;
}
