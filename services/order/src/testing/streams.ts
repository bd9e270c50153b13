import { createMetadata, type EventData } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import { orderDecider } from "../orders/decider.js";
import type { Order, OrderEvent, OrderState } from "../orders/domain.js";
import { appendToStream, readStream } from "../orders/event-store.js";
import { snapshotIfDue } from "../orders/snapshots.js";

/**
 * `count` events for the order after the stream read as `placed` (its OrderPlaced's data):
 * confirmations and cancellations in turn, each a second after the one before, the cancellations'
 * detail null or text by turns. The decider would never allow such a stream; reads fold whatever
 * is there, and a long stream is what snapshots are for.
 */
export function moreEvents(placed: EventData["OrderPlaced"], count: number, from = 0): OrderEvent[] {
  const start = Date.parse("2026-12-01T10:00:00.000Z");
  const { orderId, customerId, customerEmail, lines, total } = placed;
  const order = { orderId, customerId, customerEmail, lines, total };
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const metadata = createMetadata({
      producer: "order",
      cause: placed.metadata,
      now: new Date(start + n * 1_000 + (n % 7)),
    });
    return (
      n % 2 === 0
        ? { type: "OrderConfirmed", data: { ...order, metadata } }
        : {
            type: "OrderCancelled",
            data: {
              ...order,
              metadata,
              reason: "CUSTOMER_REQUEST",
              detail: n % 4 === 1 ? null : `détail nº ${n} — "quoted"`,
            },
          }
    ) as OrderEvent;
  });
}

/**
 * Appends `events` to the order in one transaction as the handler does: after the state it
 * folded, storing a snapshot when the append crosses a multiple of `snapshotEvery`.
 * Answers the state after the append.
 */
export function appendFolded(
  pool: pg.Pool,
  orderId: string,
  events: readonly OrderEvent[],
  snapshotEvery: number,
): Promise<Order> {
  return withTransaction(pool, async (tx) => {
    const state = await foldFromScratch(tx, orderId);
    await appendToStream(tx, orderId, state?.version ?? 0, events);
    const next = foldFacts(orderDecider, state, events)!;
    await snapshotIfDue(tx, next, events.length, snapshotEvery);
    return next;
  });
}

/** The order's state at `asOf` (now, without it) folded from its first event, no snapshot read. */
export async function foldFromScratch(
  db: pg.ClientBase | pg.Pool,
  orderId: string,
  asOf?: Date,
): Promise<OrderState> {
  return foldFacts(
    orderDecider,
    null,
    (await readStream(db, orderId, { asOf })).map((recorded) => recorded.event),
  );
}

/** Waits until the database's clock is past `at` at millisecond resolution (the API's). */
export async function databaseClockPasses(db: pg.Pool, at: Date): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ passed: boolean }>(
      "SELECT clock_timestamp() >= $1::timestamptz + interval '1 millisecond' AS passed",
      [at],
    );
    if (rows[0]!.passed) return;
  }
}
