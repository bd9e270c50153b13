import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import { orderDecider } from "./decider.js";
import type { Order, OrderState } from "./domain.js";
import { readStream } from "./event-store.js";
import { ORDER_FOLD_VERSION } from "./evolve.js";

/**
 * The order's state at `asOf` (now, without it), folded from the latest snapshot of this build's
 * fold ({@link ORDER_FOLD_VERSION}) whose events the database had all recorded by then, and the
 * events after it: two queries (the snapshot, then the events after its version, which the
 * planner can then read as a range of the stream's key), however long the stream. The same state
 * as folding every event from the first (`readStream`); null when the order did not exist (yet).
 */
export async function loadOrder(
  db: pg.ClientBase | pg.Pool,
  orderId: string,
  asOf?: Date,
): Promise<OrderState> {
  const { rows } = await db.query<{ version: number; state: Order }>(
    `SELECT version, state FROM order_snapshots
      WHERE order_id = $1 AND fold_version = $2 AND ($3::timestamptz IS NULL OR last_recorded_at <= $3)
      ORDER BY last_recorded_at DESC, version DESC LIMIT 1`,
    [orderId, ORDER_FOLD_VERSION, asOf ?? null],
  );
  const snapshot = rows[0];
  const events = await readStream(db, orderId, { asOf, after: snapshot?.version ?? 0 });
  return foldFacts(
    orderDecider,
    snapshot?.state ?? null,
    events.map((recorded) => recorded.event),
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
