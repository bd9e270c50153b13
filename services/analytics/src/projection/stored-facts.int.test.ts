import type { DomainEvent } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { withTransaction } from "@herald/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyticsMigrations } from "../migrations.js";
import { readPeriodFigures } from "../periods/publisher.js";
import { type AnalyticsHarness, createAnalyticsHarness } from "../testing/harness.js";
import { eur, line, sagaOf } from "../testing/scenario.js";
import { purgeExpiredFacts } from "./retention.js";
import { applyEvents } from "./store.js";

const ORDER = "ord-5b1c7e0a-pii";
const PERSONAL = [
  "tok_visa",
  "ada@example.com",
  "Ada Lovelace",
  "Analytical Row",
  "N1 9GU",
  "cus_42",
  "bob@example.org",
];

/** Every stored fact as text, each column included. */
async function storedFacts(h: AnalyticsHarness): Promise<string[]> {
  const { rows } = await h.context.pool.query<{ row: string }>(
    "SELECT row_to_json(f)::text AS row FROM analytics_facts f ORDER BY occurred_at",
  );
  return rows.map((r) => r.row);
}

function personalEvents(orderId: string): DomainEvent[] {
  return [
    sampleEvent("OrderPlaced", { orderId }),
    sampleEvent("OrderConfirmed", { orderId }),
    sampleEvent("OrderCancelled", { orderId }),
    sampleEvent("EmailSent", { orderId }),
    sampleEvent("EmailFailed", {
      orderId,
      recipient: "bob@example.org",
      error: "550 5.1.1 <bob@example.org>: Recipient address rejected",
    }),
  ];
}

describe("what analytics keeps of each fact", () => {
  let h: AnalyticsHarness;
  beforeAll(async () => {
    h = await createAnalyticsHarness();
  });
  afterAll(() => h?.close());

  it("stores no payment token, email, address or customer id, only what the read models and the timeline need", async () => {
    const events = personalEvents(ORDER);
    await h.produce(events);
    await h.waitForFacts(events.length);

    const facts = await storedFacts(h);
    expect(facts).toHaveLength(events.length);
    for (const fact of facts) for (const value of PERSONAL) expect(fact).not.toContain(value);

    const { rows } = await h.context.pool.query<{ event_type: string; payload: Record<string, unknown> }>(
      "SELECT event_type, payload FROM analytics_facts",
    );
    const payload = (type: string) => rows.find((row) => row.event_type === type)!.payload;
    expect(Object.keys(payload("OrderPlaced")).sort()).toEqual(["lines", "orderId", "total"]);
    expect(payload("OrderConfirmed")).toEqual({
      orderId: ORDER,
      lines: sampleEvent("OrderConfirmed").data.lines,
      total: { amountMinor: 5699, currency: "EUR" },
    });
    expect(Object.keys(payload("EmailFailed")).sort()).toEqual(["orderId", "periodId", "template"]);

    const timeline = (await h.operator(`/analytics/orders/${ORDER}/timeline`)).json() as {
      facts: { type: string; detail: string }[];
    };
    expect(timeline.facts.find((f) => f.type === "EmailFailed")!.detail).toBe(
      "SALES_DIGEST mail failed: 550 5.1.1 <<recipient>>: Recipient address rejected",
    );
  });

  it("strips the personal fields from facts stored before, keeping what period summaries read", async () => {
    const orderId = "ord-5b1c7e0a-stored-before";
    const events = personalEvents(orderId);
    // As the projection stored them before: the whole payload, the recipient in the detail.
    for (const event of events)
      await h.context.pool.query(
        `INSERT INTO analytics_facts (generation, event_id, event_type, order_id, producer, occurred_at,
                                      correlation_id, detail, payload)
         VALUES (1, $1, $2, $3, 'test', now(), $4, $5, $6)`,
        [
          event.data.metadata.eventId,
          event.type,
          orderId,
          event.data.metadata.correlationId,
          event.type === "EmailFailed" ? `failed: ${event.data.error}` : event.type,
          JSON.stringify(event.data),
        ],
      );
    const period = { start: Date.now() - 60_000, end: Date.now() + 60_000 };
    const before = await readPeriodFigures(h.context.pool, period);
    expect((await storedFacts(h)).some((fact) => fact.includes("tok_visa"))).toBe(true);

    const migration = analyticsMigrations.find((m) => m.id === "analytics-005-fact-payloads")!;
    await h.context.pool.query(migration.sql);

    for (const fact of await storedFacts(h)) for (const value of PERSONAL) expect(fact).not.toContain(value);
    expect(await readPeriodFigures(h.context.pool, period)).toEqual(before);
    expect(before.confirmedCount).toBe(1);
    expect(before.topSkus.length).toBeGreaterThan(0);
  });
});

describe("how long analytics keeps facts", () => {
  let h: AnalyticsHarness;
  beforeAll(async () => {
    h = await createAnalyticsHarness({ startConsumer: false });
  });
  afterAll(() => h?.close());

  it("purges facts older than the retention and keeps every figure", async () => {
    const day = 24 * 60 * 60 * 1000;
    const old = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-MUG-BLUE", 2, eur(1290))],
      placedAt: Date.now() - 91 * day,
    });
    const recent = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-MUG-BLUE", 1, eur(1290))],
      placedAt: Date.now() - 89 * day,
    });
    await withTransaction(h.context.pool, (tx) => applyEvents(tx, 1, [...old.events, ...recent.events]));
    const before = await h.summary();
    const skus = (await h.operator("/analytics/skus")).json();

    const purged = await purgeExpiredFacts(h.context.pool, { retentionDays: 90, batchSize: 2 });
    expect(purged).toBe(old.events.length);

    expect((await h.operator(`/analytics/orders/${old.orderId}/timeline`)).statusCode).toBe(404);
    expect((await h.operator(`/analytics/orders/${recent.orderId}/timeline`)).json().facts).toHaveLength(
      recent.events.length,
    );
    const after = await h.summary();
    expect({ ...after, asOf: before.asOf, lastFactAt: before.lastFactAt }).toEqual(before);
    expect((await h.operator("/analytics/skus")).json()).toEqual(skus);
    expect(await purgeExpiredFacts(h.context.pool, { retentionDays: 90, batchSize: 2 })).toBe(0);
  });
});
