import { createMetadata, type EventOf } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { createRelay, type Relay } from "@herald/outbox";
import { withTransaction } from "@herald/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEvents } from "../projection/store.js";
import { type AnalyticsHarness, createAnalyticsHarness } from "../testing/harness.js";
import { eur, line, sagaOf, usd } from "../testing/scenario.js";
import { createPeriodPublisher } from "./publisher.js";

// A closed minute well in the past, so no other fact of this run falls into it.
const start = Date.UTC(2025, 0, 15, 10, 0);
const end = start + 60_000;
const GRACE = 2_000;

describe("period summaries", () => {
  let h: AnalyticsHarness;
  let relay: Relay;

  beforeAll(async () => {
    h = await createAnalyticsHarness();
    const orders = [
      sagaOf({ outcome: "confirmed", lines: [line("HRL-MUG-BLUE", 2, eur(1290))], placedAt: start + 1_000 }),
      sagaOf({
        outcome: "confirmed",
        lines: [line("HRL-MUG-BLUE", 1, eur(1290)), line("HRL-POSTER-A2", 3, eur(1900))],
        placedAt: start + 10_000,
      }),
      sagaOf({
        outcome: "cancelled_after_confirm",
        lines: [line("HRL-TEE-BLACK-M", 1, usd(3000))],
        placedAt: start + 20_000,
      }),
      sagaOf({
        outcome: "out_of_stock",
        lines: [line("HRL-HOODIE-GREY-L", 1, eur(5490))],
        placedAt: start + 30_000,
      }),
      // Placed in the period, confirmed after it: counted as placed here, as confirmed in the next.
      sagaOf({ outcome: "confirmed", lines: [line("HRL-NOTEBOOK-A5", 5, eur(990))], placedAt: end - 300 }),
      // Before the period.
      sagaOf({
        outcome: "confirmed",
        lines: [line("HRL-STICKER-PACK", 9, eur(450))],
        placedAt: start - 5_000,
      }),
    ];
    // Charged, cancelled before its confirmation and refunded in the period: no revenue was booked.
    const neverConfirmed = sampleEvent("PaymentRefunded", {
      orderId: "3c1a9e57-8f3e-4b8e-9d1c-6a2f0e4b7d10",
      amount: { amountMinor: 3000, currency: "GBP" },
      metadata: createMetadata({ producer: "payment", now: new Date(start + 40_000) }),
    });
    await withTransaction(h.context.pool, (tx) =>
      applyEvents(tx, 1, [...orders.flatMap((order) => order.events), neverConfirmed]),
    );
    relay = createRelay({
      pool: h.context.pool,
      kafka: h.context.kafka,
      serde: h.context.serde,
      topicName: h.topicName,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await h?.close();
  });

  it("publishes each closed period once however many instances try, with the period's figures", async () => {
    const publishers = [1, 2, 3].map(() =>
      createPeriodPublisher({
        pool: h.context.pool,
        periodMs: 60_000,
        graceMs: GRACE,
        now: () => new Date(end + GRACE),
      }),
    );
    const published = await Promise.all([...publishers, ...publishers].map((p) => p.publishDue()));
    expect(published.flat()).toEqual(["2025-01-15T10:00Z/PT1M"]);

    const { rows } = await h.context.pool.query<{ payload: EventOf<"SalesPeriodSummarized">["data"] }>(
      "SELECT payload FROM outbox WHERE event_type = 'SalesPeriodSummarized'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({
      periodId: "2025-01-15T10:00Z/PT1M",
      periodStart: start,
      periodEnd: end,
      orderCount: 5,
      confirmedCount: 3,
      cancelledCount: 2,
      // EUR: 2 × 12.90 + (12.90 + 3 × 19.00); USD: 30.00 confirmed, then refunded; the GBP refund
      // of an order never confirmed takes nothing off.
      revenue: [
        { currency: "EUR", amountMinor: 2580 + 1290 + 5700 },
        { currency: "USD", amountMinor: 0 },
      ],
      topSkus: [
        { sku: "HRL-MUG-BLUE", quantity: 3 },
        { sku: "HRL-POSTER-A2", quantity: 3 },
        { sku: "HRL-TEE-BLACK-M", quantity: 1 },
      ],
    });
    expect(rows[0]!.payload.metadata.producer).toBe("analytics");

    // Later ticks of the same period publish nothing more; the next period follows once closed.
    expect(await publishers[0]!.publishDue()).toEqual([]);
    const next = createPeriodPublisher({
      pool: h.context.pool,
      periodMs: 60_000,
      graceMs: GRACE,
      now: () => new Date(end + 60_000 + GRACE),
    });
    expect(await next.publishDue()).toEqual(["2025-01-15T10:01Z/PT1M"]);
  });

  it("reaches Kafka through the outbox, and analytics counts its own summaries", async () => {
    await expect
      .poll(async () => (await h.summary()).periods.summarized, { timeout: 20_000, interval: 100 })
      .toBe(2);
    const { rows } = await h.context.pool.query(
      "SELECT detail FROM analytics_facts WHERE event_type = 'SalesPeriodSummarized' ORDER BY occurred_at, detail",
    );
    expect(rows.map((row) => row.detail)).toContain(
      "2025-01-15T10:00Z/PT1M: 5 placed, 3 confirmed, 2 cancelled",
    );
  });
});
