import type pg from "pg";
import type { OutboxErrorCode } from "./errors.js";
import { resolveOutboxTables } from "./partitions.js";

/** A reason the outbox cannot take writes for long, or does not deliver them. */
export interface OutboxProblem {
  readonly code: "OUTBOX_MISSING" | "OUTBOX_NO_PARTITION_AHEAD" | "OUTBOX_RELAY_NOT_PUBLISHING";
  readonly message: string;
}

export interface OutboxHealth {
  /** No problem: readiness can say ready. */
  readonly ok: boolean;
  readonly problems: readonly OutboxProblem[];
  /** Aggregates waiting behind a row no relay could encode; an operator's matter, not a readiness one. */
  readonly parked: number;
}

export interface OutboxHealthOptions {
  /** Fewer ids than this left in the partitions above the newest id is a problem. Default 20,000. */
  readonly minIdsAhead?: number;
  /** An unpublished row older than this is a problem. Default 60 s. */
  readonly maxPublishDelayMs?: number;
}

/**
 * Checks what makes the outbox fail writes or stop delivering: partitions running out (inserts fail
 * with OUTBOX_NO_PARTITION once they do) and relays not publishing. A handful of index lookups, so
 * readiness can call it on every probe.
 */
export async function outboxHealth(pool: pg.Pool, options: OutboxHealthOptions = {}): Promise<OutboxHealth> {
  const minIdsAhead = options.minIdsAhead ?? 20_000;
  const maxPublishDelayMs = options.maxPublishDelayMs ?? 60_000;
  const client = await pool.connect();
  try {
    const tables = await resolveOutboxTables(client);
    if (!tables)
      return {
        ok: false,
        problems: [
          {
            code: "OUTBOX_MISSING",
            message: "no outbox table on the search_path: run the outbox migrations",
          },
        ],
        parked: 0,
      };
    const { rows } = await client.query<{
      issued: string;
      top: string | null;
      oldest_ms: number | null;
      parked: number;
    }>(
      `SELECT (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${tables.sequence})::text AS issued,
              (SELECT max(substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''?(\\d+)''?\\)')::bigint)
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = $1::oid AND NOT i.inhdetachpending)::text AS top,
              (SELECT extract(epoch FROM clock_timestamp() - min(o.created_at)) * 1000
                 FROM ${tables.state} s
                 CROSS JOIN LATERAL (SELECT created_at FROM ${tables.outbox} o
                                      WHERE o.bucket = s.bucket AND o.id > s.published_through
                                      ORDER BY o.id LIMIT 1) o) AS oldest_ms,
              (SELECT count(*)::int FROM ${tables.outbox}_parked WHERE resolved_at IS NULL) AS parked`,
      [tables.oid],
    );
    const row = rows[0]!;
    const problems: OutboxProblem[] = [];
    const issued = BigInt(row.issued);
    const left = row.top === null ? 0n : BigInt(row.top) - 1n - issued;
    if (left < BigInt(minIdsAhead))
      problems.push({
        code: "OUTBOX_NO_PARTITION_AHEAD",
        message: `only ${left < 0n ? 0n : left} outbox ids left in partitions ahead (want ${minIdsAhead}): is a relay running its maintenance?`,
      });
    if (row.oldest_ms !== null && row.oldest_ms > maxPublishDelayMs)
      problems.push({
        code: "OUTBOX_RELAY_NOT_PUBLISHING",
        message: `the oldest unpublished outbox row was written ${Math.round(row.oldest_ms / 1000)} s ago: is a relay running?`,
      });
    return { ok: problems.length === 0, problems, parked: row.parked };
  } finally {
    client.release();
  }
}

/**
 * HTTP status for the outbox's errors that reach a request: the outbox cannot take the write now
 * (no partition, database away), so 503 with the code, and the client may retry.
 */
export const OUTBOX_ERROR_STATUS: Readonly<Partial<Record<OutboxErrorCode, number>>> = Object.freeze({
  OUTBOX_NO_PARTITION: 503,
  OUTBOX_DATABASE_UNAVAILABLE: 503,
});

/**
 * Settings for the pools of services that write the outbox. A transaction left open (a stuck
 * handler, a leaked client) holds the outbox's lock and with it the relay's watermark: end it.
 * Bounded connection waits and statements keep a request from hanging on a sick database.
 */
export const OUTBOX_POOL_SETTINGS = Object.freeze({
  idle_in_transaction_session_timeout: 30_000,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 30_000,
} satisfies pg.PoolConfig);
