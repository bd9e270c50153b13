import { sampleEvent } from "@herald/events/testing";
import { describe, expect, it } from "vitest";
import {
  effectsOf,
  formatMoney,
  funnelDelta,
  mergeDeltas,
  minuteOf,
  refundedRevenueDelta,
} from "./effects.js";

describe("effectsOf", () => {
  it("given an order confirmed, counts it, adds its total to the currency's revenue and its lines to the products sold", () => {
    const event = sampleEvent("OrderConfirmed");
    const effects = effectsOf(event);
    expect(effects.figures).toEqual([
      { name: "facts", key: "", delta: 1 },
      { name: "orders.confirmed", key: "", delta: 1 },
      { name: "revenue.gross", key: "EUR", delta: 5699 },
    ]);
    expect(effects.perMinute).toEqual([
      { name: "orders.confirmed", key: "", delta: 1 },
      { name: "revenue.gross", key: "EUR", delta: 5699 },
    ]);
    expect(effects.skus).toEqual([
      { sku: "SKU-KETTLE", currency: "EUR", units: 1, revenueMinor: 3999 },
      { sku: "SKU-MUG", currency: "EUR", units: 2, revenueMinor: 1700 },
    ]);
    expect(effects.stage).toEqual({ stage: "confirmed", reason: null });
    expect(effects.fact).toMatchObject({
      eventId: event.data.metadata.eventId,
      type: "OrderConfirmed",
      orderId: event.data.orderId,
      producer: "order",
      occurredAt: event.data.metadata.occurredAt,
      detail: "confirmed, 56.99 EUR",
    });
  });

  it("given an order cancelled, counts it under its reason and marks the cancelled stage with the reason", () => {
    const effects = effectsOf(sampleEvent("OrderCancelled", { reason: "PAYMENT_FAILED", detail: null }));
    expect(effects.figures).toContainEqual({
      name: "orders.cancelled_by_reason",
      key: "PAYMENT_FAILED",
      delta: 1,
    });
    expect(effects.perMinute).toEqual([{ name: "orders.cancelled", key: "", delta: 1 }]);
    expect(effects.stage).toEqual({ stage: "cancelled", reason: "PAYMENT_FAILED" });
    expect(effects.fact.detail).toBe("PAYMENT_FAILED");
  });

  it("given a refund, counts it but books no refunded revenue itself: it only records the order's refund", () => {
    const event = sampleEvent("PaymentRefunded", { amount: { amountMinor: 1500, currency: "USD" } });
    const effects = effectsOf(event);
    expect(effects.figures).toEqual([
      { name: "facts", key: "", delta: 1 },
      { name: "payments.refunded", key: "", delta: 1 },
    ]);
    expect(effects.perMinute).toEqual([]);
    expect(effects.revenue).toEqual({
      orderId: event.data.orderId,
      currency: "USD",
      bookedMinor: 0,
      refundedMinor: 1500,
    });
    expect(effects.stage).toBeUndefined();
  });

  it("given an order confirmed, books its total as the order's revenue", () => {
    const event = sampleEvent("OrderConfirmed");
    expect(effectsOf(event).revenue).toEqual({
      orderId: event.data.orderId,
      currency: "EUR",
      bookedMinor: 5699,
      refundedMinor: 0,
    });
  });

  it("given the inventory and payment facts, marks the reserved and paid stages; failures mark none", () => {
    expect(effectsOf(sampleEvent("InventoryReserved")).stage?.stage).toBe("reserved");
    expect(effectsOf(sampleEvent("PaymentProcessed")).stage?.stage).toBe("paid");
    expect(effectsOf(sampleEvent("InventoryReservationFailed")).stage).toBeUndefined();
    expect(effectsOf(sampleEvent("PaymentFailed")).figures).toContainEqual({
      name: "payments.failed_by_reason",
      key: "CARD_DECLINED",
      delta: 1,
    });
  });

  it("given facts about no single order, keeps them off every order's timeline", () => {
    expect(effectsOf(sampleEvent("SalesPeriodSummarized")).fact.orderId).toBeNull();
    expect(effectsOf(sampleEvent("EmailFailed")).fact.orderId).toBeNull();
    expect(effectsOf(sampleEvent("EmailSent")).fact).toMatchObject({
      orderId: "ord_7f3a2c",
      producer: "email",
      detail: "ORDER_CONFIRMED mail sent",
    });
  });

  it("names the short products of a failed reservation in the timeline's detail", () => {
    expect(effectsOf(sampleEvent("InventoryReservationFailed")).fact.detail).toBe(
      "short: SKU-MUG (2 wanted, 1 available)",
    );
  });
});

describe("funnelDelta", () => {
  it("counts the four funnel stages and not cancellation", () => {
    expect(funnelDelta("paid")).toEqual({ name: "funnel.paid", key: "", delta: 1 });
    expect(funnelDelta("cancelled")).toBeUndefined();
  });
});

describe("mergeDeltas", () => {
  it("sums deltas of the same figure and key and sorts them, so writers lock rows in one order", () => {
    expect(
      mergeDeltas([
        { name: "revenue.gross", key: "USD", delta: 5 },
        { name: "facts", key: "", delta: 1 },
        { name: "revenue.gross", key: "EUR", delta: 7 },
        { name: "facts", key: "", delta: 1 },
        { name: "revenue.gross", key: "USD", delta: 10 },
      ]),
    ).toEqual([
      { name: "facts", key: "", delta: 2 },
      { name: "revenue.gross", key: "EUR", delta: 7 },
      { name: "revenue.gross", key: "USD", delta: 15 },
    ]);
  });
});

describe("formatMoney and minuteOf", () => {
  it("writes minor units in the currency's own decimals", () => {
    expect(formatMoney({ amountMinor: 5699, currency: "EUR" })).toBe("56.99 EUR");
    expect(formatMoney({ amountMinor: 1200, currency: "JPY" })).toBe("1200 JPY");
    expect(formatMoney({ amountMinor: 1234, currency: "KWD" })).toBe("1.234 KWD");
  });

  it("puts a time in the UTC minute it falls in", () => {
    expect(minuteOf(Date.UTC(2026, 0, 31, 12, 34, 59, 999))).toBe(Date.UTC(2026, 0, 31, 12, 34));
  });
});

describe("refundedRevenueDelta", () => {
  const ledger = (bookedMinor: number, refundedMinor: number) => ({ bookedMinor, refundedMinor });

  it("counts no refund of an order whose revenue was never booked (never confirmed)", () => {
    expect(refundedRevenueDelta(ledger(0, 0), ledger(0, 4500))).toBe(0);
  });

  it("counts a refund against the revenue booked for its order", () => {
    expect(refundedRevenueDelta(ledger(4500, 0), ledger(4500, 4500))).toBe(4500);
  });

  it("counts a refund that arrived first once the order's revenue is booked, whatever the arrival order", () => {
    expect(refundedRevenueDelta(ledger(0, 4500), ledger(4500, 4500))).toBe(4500);
  });

  it("never counts more than was booked, so the order's net revenue never goes negative", () => {
    expect(refundedRevenueDelta(ledger(1000, 0), ledger(1000, 4500))).toBe(1000);
    expect(refundedRevenueDelta(ledger(1000, 4500), ledger(1000, 9000))).toBe(0);
  });
});
