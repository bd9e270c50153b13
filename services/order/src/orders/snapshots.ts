import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import { orderDecider } from "./decider.js";
import type { Order, OrderState } from "./domain.js";
import { type EventRow, STREAM_AFTER, toRecorded } from "./event-store.js";
import { ORDER_FOLD_VERSION } from "./evolve.js";

/**
 * The order's state at `asOf` (now, without it), folded from the latest snapshot of this build's
 * fold ({@link ORDER_FOLD_VERSION}) whose events the database had all recorded by then, and the
 * events after it: one query, however long the stream. The same state as folding every event
 * from the first (`readStream`); null when the order did not exist (yet).
 */
export async function loadOrder(
  db: pg.ClientBase | pg.Pool,
  orderId: string,
  asOf?: Date,
): Promise<OrderState> {
  const { rows } = await db.query<EventRow & { snapshot: Order | null }>(
    `WITH snapshot AS (
       SELECT version, state FROM order_snapshots
        WHERE order_id = $1 AND fold_version = $3 AND ($2::timestamptz IS NULL OR last_recorded_at <= $2)
        ORDER BY version DESC LIMIT 1
     )
     SELECT version, NULL AS event_type, NULL::jsonb AS data, NULL AS schema_fingerprint,
            NULL::timestamptz AS recorded_at, state AS snapshot
       FROM snapshot
     UNION ALL
     SELECT *, NULL::jsonb FROM (${STREAM_AFTER("coalesce((SELECT version FROM snapshot), 0)")}) events
     ORDER BY version`,
    [orderId, asOf ?? null, ORDER_FOLD_VERSION],
  );
  const snapshot = rows[0]?.snapshot ? rows.shift()!.snapshot : null;
  return foldFacts(
    orderDecider,
    snapshot,
    rows.map((row) => toRecorded(row).event),
  );
}

/**
 * Stores `state` as a snapshot when the append that brought the order to it crossed a multiple of
 * `every` versions (it appended `appended` events); in the caller's transaction, the append's.
 * Its `last_recorded_at` is the latest of the previous snapshot's and those of the events since,
 * so each snapshot reads only the events after the one before.
 */
export async function snapshotIfDue(
  tx: pg.ClientBase,
  state: Order,
  appended: number,
  every: number,
): Promise<boolean> {
  if (Math.floor(state.version / every) === Math.floor((state.version - appended) / every)) return false;
  await tx.query(
    `WITH prior AS (
       SELECT version, last_recorded_at FROM order_snapshots
        WHERE order_id = $1 AND version < $2 ORDER BY version DESC LIMIT 1
     )
     INSERT INTO order_snapshots (order_id, version, fold_version, state, last_recorded_at)
     SELECT $1, $2, $3, $4::jsonb,
            greatest((SELECT last_recorded_at FROM prior), max(date_trunc('milliseconds', recorded_at)))
       FROM order_events
      WHERE order_id = $1 AND version <= $2 AND version > coalesce((SELECT version FROM prior), 0)
     ON CONFLICT (order_id, version) DO UPDATE
       SET fold_version = excluded.fold_version, state = excluded.state,
           last_recorded_at = excluded.last_recorded_at, created_at = now()`,
    [state.orderId, state.version, ORDER_FOLD_VERSION, JSON.stringify(state)],
  );
  return true;
}
