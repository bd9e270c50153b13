import { createMetadata, type DomainEvent } from "@herald/events";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { consumerMetrics } from "../metrics.js";
import { ConsumerMonitor } from "./health.js";

const eventAged = (ms: number) =>
  ({
    type: "OrderPlaced",
    data: { metadata: createMetadata({ producer: "order", now: new Date(Date.now() - ms) }) },
  }) as unknown as DomainEvent;

describe("the consumer's hop latency", () => {
  it("observes a processed event's age at its commit, per group, topic and type; not a duplicate's", async () => {
    const registry = new Registry();
    const monitor = new ConsumerMonitor("inventory-service", {}, consumerMetrics(registry));
    monitor.report("processed", "orders", 0, { offset: "1", event: eventAged(300), attempt: 1 });
    monitor.report("duplicate", "orders", 0, { offset: "2", event: eventAged(5_000), attempt: 1 });
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "herald_consumer_hop_seconds");
    const values = (metric?.values ?? []) as {
      metricName?: string;
      labels: Record<string, unknown>;
      value: number;
    }[];
    const count = values.find((v) => v.metricName === "herald_consumer_hop_seconds_count");
    const sum = values.find((v) => v.metricName === "herald_consumer_hop_seconds_sum");
    expect(count).toMatchObject({
      value: 1,
      labels: { group: "inventory-service", topic: "orders", event_type: "OrderPlaced" },
    });
    expect(sum!.value).toBeGreaterThanOrEqual(0.3);
    expect(sum!.value).toBeLessThan(5);
  });
});
