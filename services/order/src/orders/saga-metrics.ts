import type { DomainEvent } from "@herald/events";
import { Histogram, type Registry } from "prom-client";
import type { OrderState } from "./domain.js";

/** Records how long an order's saga took when a reaction ends it; called with what the reaction emitted. */
export type SagaObserver = (state: OrderState, emitted: readonly DomainEvent[]) => void;

const TERMINAL: Readonly<Record<string, "confirmed" | "cancelled">> = {
  OrderConfirmed: "confirmed",
  OrderCancelled: "cancelled",
};

/**
 * `herald_order_saga_seconds{outcome}`: from OrderPlaced to OrderConfirmed or OrderCancelled, as the
 * order's own events date them, observed once per order by the reaction that ends its saga (a
 * cancellation by the customer ends no saga reaction and is not counted). Its trace shows where the
 * time went (README, Tracing).
 */
export function sagaDurations(metrics: Registry): SagaObserver {
  const histogram = new Histogram({
    name: "herald_order_saga_seconds",
    help: "Order placed → confirmed or cancelled by the saga, in seconds",
    labelNames: ["outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [metrics],
  });
  return (state, emitted) => {
    if (!state) return;
    for (const event of emitted) {
      const outcome = TERMINAL[event.type];
      if (outcome)
        histogram.observe({ outcome }, Math.max(0, event.data.metadata.occurredAt - state.placedAt) / 1000);
    }
  };
}
