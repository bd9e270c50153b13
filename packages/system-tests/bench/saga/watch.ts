import { performance } from "node:perf_hooks";
import { HEADERS } from "@herald/outbox";
import type { Consumer } from "kafkajs";

/** The saga benchmark's observer: when each order's steps reach their topics. */

/** Per order, when each step of its saga was first seen on Kafka (performance.now() here). */
export type Seen = Map<string, Map<string, number>>;

/** The saga's steps, in order, as the topics show them; the last two are the terminal ones. */
export const STEPS = [
  "OrderPlaced",
  "InventoryReserved",
  "PaymentProcessed",
  "OrderConfirmed",
  "OrderCancelled",
];

/** Notes when each step of each order reaches its topic (every event is keyed by its order id). */
export async function watchSaga(consumer: Consumer, seen: Seen) {
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders", "inventory", "payments"], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 9,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const message of batch.messages) {
        const type = message.headers?.[HEADERS.eventType]?.toString();
        if (!type || !STEPS.includes(type)) continue;
        const orderId = message.key!.toString();
        let steps = seen.get(orderId);
        if (!steps) {
          steps = new Map();
          seen.set(orderId, steps);
        }
        if (!steps.has(type)) steps.set(type, at);
      }
    },
  });
}

export function terminalOf(seen: Seen, orderId: string): { at: number; type: string } | undefined {
  const steps = seen.get(orderId);
  const confirmed = steps?.get("OrderConfirmed");
  if (confirmed !== undefined) return { at: confirmed, type: "OrderConfirmed" };
  const cancelled = steps?.get("OrderCancelled");
  return cancelled === undefined ? undefined : { at: cancelled, type: "OrderCancelled" };
}
