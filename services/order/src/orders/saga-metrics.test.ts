import { createMetadata, type DomainEvent } from "@herald/events";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { OrderState } from "./domain.js";
import { sagaDurations } from "./saga-metrics.js";

const placedAt = Date.parse("2026-12-05T12:00:00Z");
const state = { placedAt } as unknown as OrderState;
const emitted = (type: string, afterMs: number) =>
  ({
    type,
    data: { metadata: createMetadata({ producer: "order", now: new Date(placedAt + afterMs) }) },
  }) as unknown as DomainEvent;

async function observations(registry: Registry) {
  const [metric] = (await registry.getMetricsAsJSON()).filter((m) => m.name === "herald_order_saga_seconds");
  const values = (metric?.values ?? []) as {
    metricName?: string;
    labels: Record<string, string>;
    value: number;
  }[];
  return values
    .filter((v) => v.metricName?.endsWith("_sum") || v.metricName?.endsWith("_count"))
    .map((v) => `${v.metricName} ${v.labels.outcome} ${v.value}`)
    .sort();
}

describe("the saga's duration", () => {
  it("is observed once per order by the reaction that ends it, from OrderPlaced, by outcome", async () => {
    const registry = new Registry();
    const observe = sagaDurations(registry);
    observe(state, [emitted("OrderConfirmed", 1_500)]);
    observe(state, [emitted("OrderCancelled", 4_000)]);
    observe(state, []); // a reaction that changes nothing ends no saga
    observe(null, [emitted("OrderConfirmed", 9_000)]); // no such order
    expect(await observations(registry)).toEqual([
      "herald_order_saga_seconds_count cancelled 1",
      "herald_order_saga_seconds_count confirmed 1",
      "herald_order_saga_seconds_sum cancelled 4",
      "herald_order_saga_seconds_sum confirmed 1.5",
    ]);
  });
});
