import { waitFor } from "@herald/dev-stack/testing";
import type { DomainEvent } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { withTransaction } from "@herald/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary, TimeSeries } from "../read-models/queries.js";
import { type AnalyticsHarness, createAnalyticsHarness } from "../testing/harness.js";
import { eur, line, type ScenarioOrder, sagaOf, usd } from "../testing/scenario.js";
import { minuteOf } from "./effects.js";
import { applyEvents } from "./store.js";

// Three minutes ago, 5 s into the minute: every order's saga stays inside the minute it starts in.
const m0 = minuteOf(Date.now()) - 3 * 60_000;
const base = m0 + 5_000;

/** Six orders covering every outcome, two currencies and three minutes. */
function scenario(): ScenarioOrder[] {
  const mug = (quantity: number) => line("HRL-MUG-BLUE", quantity, eur(1290));
  return [
    sagaOf({ outcome: "confirmed", lines: [mug(2), line("HRL-TEE-BLACK-M", 1, eur(2490))], placedAt: base }),
    sagaOf({
      outcome: "out_of_stock",
      lines: [line("HRL-HOODIE-GREY-L", 1, eur(5490))],
      placedAt: base + 1_000,
      step: 300,
    }),
    sagaOf({
      outcome: "payment_failed",
      lines: [line("HRL-POSTER-A2", 1, eur(1900))],
      placedAt: base + 60_000,
      step: 100,
    }),
    sagaOf({
      outcome: "cancelled_after_confirm",
      lines: [line("HRL-MUG-BLUE", 3, usd(1500))],
      placedAt: base + 62_000,
      step: 250,
    }),
    sagaOf({ outcome: "in_flight", lines: [line("HRL-NOTEBOOK-A5", 4, eur(990))], placedAt: base + 120_000 }),
    sagaOf({ outcome: "confirmed", lines: [mug(1)], placedAt: base + 121_000, step: 1_000 }),
  ];
}

const FACTS = 28;

/** What the events of {@link scenario} say, worked out by hand. */
const expectedSummary = {
  facts: FACTS,
  orders: {
    placed: 6,
    confirmed: 3,
    cancelled: 3,
    inFlight: 1,
    cancelledByReason: { CUSTOMER_REQUEST: 1, OUT_OF_STOCK: 1, PAYMENT_FAILED: 1 },
  },
  funnel: { placed: 6, reserved: 4, paid: 3, confirmed: 3 },
  revenue: [
    { currency: "EUR", grossMinor: 6360, refundedMinor: 0, netMinor: 6360 },
    { currency: "USD", grossMinor: 4500, refundedMinor: 4500, netMinor: 0 },
  ],
  payments: { processed: 3, failed: 1, refunded: 1, failedByReason: { CARD_DECLINED: 1 } },
  inventory: { reserved: 4, reservationFailed: 1, released: 2 },
  emails: { sent: 4, failed: 0 },
  periods: { summarized: 0 },
  // Latencies 300, 600, 600, 750 and 3000 ms; percentile_cont interpolates between neighbours.
  latency: { windowMs: 3_600_000, orders: 5, p50Ms: 600, p95Ms: 2550, p99Ms: 2910 },
};

const expectedSkus = [
  { sku: "HRL-MUG-BLUE", currency: "USD", units: 3, revenueMinor: 4500, orders: 1 },
  { sku: "HRL-MUG-BLUE", currency: "EUR", units: 3, revenueMinor: 3870, orders: 2 },
  { sku: "HRL-TEE-BLACK-M", currency: "EUR", units: 1, revenueMinor: 2490, orders: 1 },
];

const range = `from=${new Date(m0).toISOString()}&to=${new Date(m0 + 4 * 60_000).toISOString()}&step=60`;

const expectedSeries: Omit<TimeSeries, "from" | "to"> = {
  stepSeconds: 60,
  buckets: [m0, m0 + 60_000, m0 + 120_000, m0 + 180_000],
  placed: [2, 2, 2, 0],
  confirmed: [1, 1, 1, 0],
  cancelled: [1, 2, 0, 0],
  revenue: [
    { currency: "EUR", grossMinor: [5070, 0, 1290, 0], refundedMinor: [0, 0, 0, 0] },
    { currency: "USD", grossMinor: [0, 4500, 0, 0], refundedMinor: [0, 4500, 0, 0] },
  ],
};

/** Everything the API answers about the scenario, minus what names the generation or the time of asking. */
async function figuresOf(h: AnalyticsHarness, orders: readonly ScenarioOrder[]) {
  const {
    version: _v,
    generation: _g,
    asOf: _a,
    ...summary
  } = (await h.operator("/analytics/summary")).json() as Summary;
  const series = (await h.operator(`/analytics/timeseries?${range}`)).json();
  const skus = (await h.operator("/analytics/skus")).json();
  const timelines = await Promise.all(
    orders.map(async (order) => (await h.operator(`/analytics/orders/${order.orderId}/timeline`)).json()),
  );
  return { summary, series, skus, timelines };
}

function expectScenarioFigures(
  figures: Awaited<ReturnType<typeof figuresOf>>,
  orders: readonly ScenarioOrder[],
) {
  expect(figures.summary).toMatchObject(expectedSummary);
  expect(figures.series).toMatchObject(expectedSeries);
  expect(figures.skus).toEqual({ skus: expectedSkus });
  for (const [i, order] of orders.entries()) {
    expect(figures.timelines[i]).toEqual({
      orderId: order.orderId,
      facts: order.events.map((event) => ({
        eventId: event.data.metadata.eventId,
        type: event.type,
        occurredAt: new Date(event.data.metadata.occurredAt).toISOString(),
        producer: event.data.metadata.producer,
        causationId: event.data.metadata.causationId,
        correlationId: event.data.metadata.correlationId,
        detail: expect.any(String),
        // The trace its event was produced in, linked to the trace UI (none for an untraced event).
        traceId: traceIdOf(event),
        traceUrl: traceIdOf(event) ? expect.stringContaining(traceIdOf(event)!) : null,
      })),
    });
  }
}

const traceIdOf = (event: DomainEvent) => event.data.metadata.traceparent?.split("-")[1] ?? null;

describe("read models from the events on Kafka", () => {
  let h: AnalyticsHarness;
  let orders: ScenarioOrder[];
  let events: DomainEvent[];

  beforeAll(async () => {
    h = await createAnalyticsHarness();
    orders = scenario();
    events = orders.flatMap((order) => order.events);
  });
  afterAll(() => h?.close());

  it("counts what the events say: orders, reasons, funnel, revenue, products, minutes, latency, timelines", async () => {
    expect(events).toHaveLength(FACTS);
    await h.produce(events);
    await h.waitForFacts(FACTS);
    expectScenarioFigures(await figuresOf(h, orders), orders);
    const timeline = (await h.operator(`/analytics/orders/${orders[3]!.orderId}/timeline`)).json();
    expect(
      timeline.facts.map((fact: { producer: string; type: string; detail: string }) => [
        fact.producer,
        fact.type,
        fact.detail,
      ]),
    ).toEqual([
      ["order", "OrderPlaced", "3 units of 1 product, 45.00 USD"],
      ["inventory", "InventoryReserved", "reserved 3 units"],
      ["payment", "PaymentProcessed", "charged 45.00 USD"],
      ["order", "OrderConfirmed", "confirmed, 45.00 USD"],
      ["email", "EmailSent", "ORDER_CONFIRMED mail sent"],
      ["order", "OrderCancelled", "CUSTOMER_REQUEST"],
      ["payment", "PaymentRefunded", "refunded 45.00 USD"],
      ["inventory", "InventoryReleased", "released 3 units"],
    ]);
  });

  it("changes nothing when every event is delivered again, through the inbox or around it", async () => {
    const before = await figuresOf(h, orders);
    await h.produce(events);
    await h.waitForReports(2 * FACTS);
    expect(h.reports.slice(FACTS).every((report) => report.outcome === "duplicate")).toBe(true);
    expect(await figuresOf(h, orders)).toEqual(before);

    // A replay overlapping live consumption reaches the projections without the inbox: the facts' key holds.
    const { rows } = await h.context.pool.query(
      "SELECT generation FROM analytics_generations WHERE state = 'live'",
    );
    const fresh = await withTransaction(h.context.pool, (tx) =>
      applyEvents(tx, rows[0].generation, [...events, ...events]),
    );
    expect(fresh).toBe(0);
    expect(await figuresOf(h, orders)).toEqual(before);
    expectScenarioFigures(before, orders);
  });

  it("rebuilds every figure from the topics, serving the old ones meanwhile, and swaps them in", async () => {
    const before = await figuresOf(h, orders);
    const started = await h.operator({ method: "POST", url: "/analytics/rebuild" });
    expect(started.statusCode).toBe(202);
    const { generation } = started.json();
    expect(started.json()).toMatchObject({ state: "building" });
    expect(generation).toBeGreaterThan(1);
    // Still the old generation until the swap.
    const during = (await h.operator("/analytics/summary")).json() as Summary;
    expect([generation - 1, generation]).toContain(during.generation);
    expect(during.facts).toBe(FACTS);

    await waitFor(
      "the rebuilt generation to go live",
      async () => {
        const { generations } = (await h.operator("/analytics/rebuild")).json();
        const state = generations.find((g: { generation: number }) => g.generation === generation)?.state;
        if (state === "failed") throw new Error("rebuild failed");
        return state === "live";
      },
      30_000,
    );
    const after = (await h.operator("/analytics/summary")).json() as Summary;
    expect(after.generation).toBe(generation);
    expect(await figuresOf(h, orders)).toEqual(before);
    // The old generation's rows are gone.
    const { rows } = await h.context.pool.query(
      "SELECT count(*)::int AS n FROM analytics_facts WHERE generation <> $1",
      [generation],
    );
    expect(rows[0].n).toBe(0);

    // The consumer goes on writing the new generation.
    const late = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-STICKER-PACK", 2, eur(450))],
      placedAt: base + 150_000,
    });
    await h.produce(late.events);
    const summary = await h.waitForFacts(FACTS + late.events.length);
    expect(summary.orders.confirmed).toBe(4);
  });

  it("refuses a rebuild without a valid bearer token, and a second one while one runs", async () => {
    const wrong = await h.app.inject({
      method: "POST",
      url: "/analytics/rebuild",
      headers: { authorization: "Bearer not-the-token-at-all" },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: "AUTH_INVALID" });
    expect((await h.app.inject({ method: "POST", url: "/analytics/rebuild" })).statusCode).toBe(401);

    const lock = await h.context.pool.connect();
    try {
      await lock.query("SELECT pg_advisory_lock(hashtext('herald-analytics-rebuild'))");
      const busy = await h.operator({ method: "POST", url: "/analytics/rebuild" });
      expect(busy.statusCode).toBe(409);
      expect(busy.json()).toMatchObject({ code: "ANALYTICS_REBUILD_RUNNING" });
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext('herald-analytics-rebuild'))");
      lock.release();
    }
  });
});

describe("read models from events arriving out of order", () => {
  let h: AnalyticsHarness;
  afterAll(() => h?.close());

  it("gives the same figures when every saga arrives backwards, terminal facts first", async () => {
    h = await createAnalyticsHarness();
    const orders = scenario();
    await h.produce(orders.flatMap((order) => order.events).reverse());
    await h.waitForFacts(FACTS);
    expectScenarioFigures(await figuresOf(h, orders), orders);
  });

  it("projects each new event into a generation being rebuilt as well as the live one", async () => {
    const { rows } = await h.context.pool.query<{ generation: number }>(
      `INSERT INTO analytics_generations (generation, state)
       SELECT max(generation) + 1, 'building' FROM analytics_generations RETURNING generation`,
    );
    const building = rows[0]!.generation;
    const order = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-STICKER-PACK", 1, eur(450))],
      placedAt: base,
    });
    await h.produce(order.events);
    await h.waitForFacts(FACTS + order.events.length);
    const { rows: copied } = await h.context.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM analytics_facts WHERE generation = $1 AND order_id = $2",
      [building, order.orderId],
    );
    expect(copied[0]!.n).toBe(order.events.length);
    const summary = (await h.operator("/analytics/summary")).json() as Summary;
    expect(summary.generation).toBe(building - 1);
  });
});

describe("refunds against the revenue booked for their order", () => {
  let h: AnalyticsHarness;
  afterAll(() => h?.close());

  it("never subtracts a refund of an order that was never confirmed: revenue never goes negative", async () => {
    h = await createAnalyticsHarness();
    const gbp = (amountMinor: number) => ({ amountMinor, currency: "GBP" });
    // Charged, then cancelled before it was confirmed, then refunded: no revenue was ever booked.
    const unconfirmed = "9d1f6c1e-0c4a-4d5e-9a43-1f7a6a0b2c01";
    // Confirmed, cancelled and refunded, with its refund arriving before its confirmation.
    const confirmedLate = "9d1f6c1e-0c4a-4d5e-9a43-1f7a6a0b2c02";
    await h.produce([
      sampleEvent("OrderPlaced", { orderId: unconfirmed, total: gbp(3000) }),
      sampleEvent("PaymentProcessed", { orderId: unconfirmed, amount: gbp(3000) }),
      sampleEvent("OrderCancelled", { orderId: unconfirmed, total: gbp(3000), reason: "CUSTOMER_REQUEST" }),
      sampleEvent("PaymentRefunded", { orderId: unconfirmed, amount: gbp(3000) }),
      sampleEvent("PaymentRefunded", { orderId: confirmedLate, amount: gbp(1200) }),
    ]);
    // A currency with no revenue may be listed with zeros or not at all: both say nothing was booked.
    const gbpOf = (summary: Summary) =>
      summary.revenue.find((row) => row.currency === "GBP") ?? {
        currency: "GBP",
        grossMinor: 0,
        refundedMinor: 0,
        netMinor: 0,
      };
    const before = await h.waitForFacts(5);
    expect(gbpOf(before)).toEqual({ currency: "GBP", grossMinor: 0, refundedMinor: 0, netMinor: 0 });
    expect(before.payments.refunded).toBe(2);

    await h.produce([sampleEvent("OrderConfirmed", { orderId: confirmedLate, total: gbp(1200) })]);
    const after = await h.waitForFacts(6);
    expect(gbpOf(after)).toEqual({ currency: "GBP", grossMinor: 1200, refundedMinor: 1200, netMinor: 0 });
  });
});
