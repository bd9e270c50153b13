import { withTransaction } from "@herald/service-kit";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEvents } from "../projection/store.js";
import type { Summary } from "../read-models/queries.js";
import { type AnalyticsHarness, createAnalyticsHarness } from "../testing/harness.js";
import { eur, line, sagaOf } from "../testing/scenario.js";
import { startRebuild } from "./rebuild.js";

describe("a rebuild that fails", () => {
  let h: AnalyticsHarness;

  beforeAll(async () => {
    h = await createAnalyticsHarness({ startConsumer: false });
    const order = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-MUG-BLUE", 1, eur(1290))],
      placedAt: Date.now(),
    });
    await withTransaction(h.context.pool, (tx) => applyEvents(tx, 1, order.events));
  });
  afterAll(() => h?.close());

  it("leaves the live figures as they were, records why, and lets the next rebuild run", async () => {
    const before = (await h.operator("/analytics/summary")).json() as Summary;
    expect(before.facts).toBeGreaterThan(0);
    const unreachable = new Kafka({
      brokers: ["127.0.0.1:1"],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    });
    const rebuild = await startRebuild({
      pool: h.context.pool,
      kafka: unreachable,
      serde: h.context.serde,
      topics: ["orders"],
    });
    await expect(rebuild.done).rejects.toMatchObject({ code: "ANALYTICS_REBUILD_FAILED" });

    const after = (await h.operator("/analytics/summary")).json() as Summary;
    expect(after).toEqual({ ...before, asOf: after.asOf });
    const { generations } = (await h.operator("/analytics/rebuild")).json();
    expect(generations[0]).toMatchObject({
      generation: rebuild.generation,
      state: "failed",
      error: expect.any(String),
    });
    const { rows } = await h.context.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM analytics_facts WHERE generation = $1",
      [rebuild.generation],
    );
    expect(rows[0]!.n).toBe(0);

    // The lock was released: a rebuild against the real broker goes through (its topics are empty,
    // so the new generation starts empty, which shows the swap happened).
    const next = await startRebuild({
      pool: h.context.pool,
      kafka: h.context.kafka,
      serde: h.context.serde,
      topics: ["orders", "payments"].map((t) => h.topicName(t as "orders")),
    });
    await next.done;
    expect(((await h.operator("/analytics/summary")).json() as Summary).generation).toBe(next.generation);
  });
});
