import { consumedEvents, createMetadata, type DomainEvent, isOrderId } from "@herald/events";
import { enqueueAll } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import type pg from "pg";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { applyStockChanges, lockStock } from "../stock/stock.js";
import { announce, decide, stockChanges } from "./decide.js";
import { CONSUMED_EVENT_TYPES, type InventoryEvent, type StockLevel } from "./domain.js";
import { evolve } from "./evolve.js";
import { lockReservation, saveReservation } from "./repository.js";

export const PRODUCER = "inventory";

const consumed = consumedEvents(CONSUMED_EVENT_TYPES);
/** The topics carrying the events the Inventory service reacts to. */
export const CONSUMED_TOPICS = consumed.topics;

export interface ReactionDependencies {
  readonly logger: Logger;
  readonly metrics?: Registry;
  readonly now?: Clock;
}

/**
 * The consumer's handler: runs inside the inbox transaction, so the reservation, the stock counters,
 * the inbox entry and the announced events commit together or not at all. Locks the order's
 * reservation, then the stock rows involved in SKU order; decides; writes; enqueues.
 */
export function createInventoryReactions(deps: ReactionDependencies) {
  const { logger } = deps;
  const now = deps.now ?? (() => new Date());
  const outcomes = new Counter({
    name: "inventory_reservations_total",
    help: "Orders whose placement was handled, by outcome (reserved or failed)",
    labelNames: ["outcome"] as const,
    registers: deps.metrics ? [deps.metrics] : [],
  });

  return async (event: DomainEvent, tx: pg.ClientBase): Promise<void> => {
    if (!consumed.has(event)) return;
    const { orderId, metadata } = event.data;
    const log = logger.child({ orderId, eventId: metadata.eventId, correlationId: metadata.correlationId });
    // Order ids are UUIDs; anything else cannot be an order of this system.
    if (!isOrderId(orderId)) {
      log.warn({ type: event.type }, "skipped an event about an order id that is not a UUID");
      return;
    }
    const before = await lockReservation(tx, orderId, {
      create: event.type === "OrderPlaced" || event.type === "OrderCancelled",
    });
    const stock: ReadonlyMap<string, StockLevel> =
      event.type === "OrderPlaced" && before.status === "NONE"
        ? await lockStock(
            tx,
            event.data.lines.map((line) => line.sku),
          )
        : new Map();
    const facts = decide(event, before, stock);
    if (facts.length === 0) {
      log.debug({ type: event.type, status: before.status }, "nothing to do");
      return;
    }
    let after = before;
    for (const fact of facts) {
      await applyStockChanges(tx, stockChanges(fact));
      after = evolve(after, fact);
    }
    await saveReservation(tx, after);
    const at = now();
    const events = facts.flatMap((fact) =>
      announce(fact, orderId).map(
        (draft) =>
          ({
            type: draft.type,
            data: {
              ...draft.data,
              metadata: createMetadata({ producer: PRODUCER, cause: metadata, now: at }),
            },
          }) as InventoryEvent,
      ),
    );
    await enqueueAll(tx, events);
    if (event.type === "OrderPlaced")
      outcomes.inc({ outcome: after.status === "RESERVED" ? "reserved" : "failed" });
    log.info(
      { type: event.type, from: before.status, to: after.status, emitted: events.map((e) => e.type) },
      "reservation changed",
    );
  };
}
