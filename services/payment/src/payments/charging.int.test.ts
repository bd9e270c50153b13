import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  announcedTypes,
  charges,
  deliverAndDrain,
  drain,
  harnessPerTest,
  orderEvents,
  paymentOf,
  refunds,
  TOTAL,
} from "../testing/harness.js";

/**
 * Charging an order exactly once, whatever order its events arrive in and however often (a
 * cancellation first means no charge, a cancellation later a void or a refund), and what the
 * payment becomes for each answer of the processor: retried after an error, failed with the reason
 * of a decline, failed for good when the processor refuses the call itself.
 */

const h = harnessPerTest();

describe("charging an order once", () => {
  it("charges when InventoryReserved follows OrderPlaced, and announces PaymentProcessed", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    const reserved = order.reserved();
    expect(await h.deliver(order.placed())).toBe("processed");
    await drain(h);
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    await h.deliver(reserved);
    await drain(h);

    expect(await paymentOf(h, orderId)).toMatchObject({
      status: "PROCESSED",
      amount: TOTAL,
      attempts: 1,
      refund: null,
    });
    expect(await charges(h, orderId)).toBe(1);
    const [processed, ...rest] = await h.announced(orderId);
    expect(rest).toEqual([]);
    expect(processed).toMatchObject({
      type: "PaymentProcessed",
      data: {
        orderId,
        paymentId: (await paymentOf(h, orderId)).paymentId,
        amount: TOTAL,
        metadata: {
          producer: "payment",
          correlationId: order.placedMetadata.correlationId,
          causationId: reserved.data.metadata.eventId,
        },
      },
    });
  });

  it("charges the amount of OrderPlaced when it arrives after InventoryReserved, never before", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId, "tok_mastercard");
    await h.deliver(order.reserved());
    await drain(h);
    expect(await paymentOf(h, orderId)).toBeUndefined();
    expect(await h.count("gateway_simulator_ledger")).toBe(0);

    await h.deliver(order.placed());
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", amount: TOTAL, attempts: 1 });
    expect(await charges(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
  });

  it("never charges an order whose cancellation came first", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    await deliverAndDrain(h, order.cancelled(), order.placed(), order.reserved());
    expect(await paymentOf(h, orderId)).toBeUndefined();
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    expect(await announcedTypes(h, orderId)).toEqual([]);
  });

  it("voids a charge requested but not yet sent when the cancellation arrives", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    await deliverAndDrain(h, order.placed(), order.reserved(), order.cancelled());
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "VOIDED", attempts: 0 });
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    expect(await announcedTypes(h, orderId)).toEqual([]);
  });

  it("charges once and refunds once whatever is redelivered, replayed or duplicated", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    const placed = order.placed();
    const reserved = order.reserved();
    const cancelled = order.cancelled();
    const delivered = new Set<string>();
    const deliverEveryWay = async (event: typeof placed | typeof reserved | typeof cancelled) => {
      const first = !delivered.has(event.data.metadata.eventId);
      delivered.add(event.data.metadata.eventId);
      expect(await h.deliver(event)).toBe(first ? "processed" : "duplicate");
      expect(await h.deliver(event)).toBe("duplicate");
      // The same fact under a new event id gets past the inbox; the payment state stops it.
      expect(await h.deliver(order.again(event))).toBe("processed");
    };
    await deliverEveryWay(placed);
    await deliverEveryWay(reserved);
    await drain(h);
    await deliverEveryWay(placed);
    await deliverEveryWay(reserved);
    await h.deliver(order.confirmed());
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", attempts: 1 });

    await deliverEveryWay(cancelled);
    await drain(h);
    await deliverEveryWay(cancelled);
    await deliverEveryWay(reserved);
    await deliverEveryWay(placed);
    await drain(h);

    expect(await paymentOf(h, orderId)).toMatchObject({
      status: "REFUNDED",
      attempts: 1,
      refund: { status: "REFUNDED", attempts: 1 },
    });
    expect(await charges(h, orderId)).toBe(1);
    expect(await refunds(h, orderId)).toBe(1);
    expect(await h.count("order_payments")).toBe(1);
    const announced = await h.announced(orderId);
    expect(announced.map((event) => event.type)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
    expect(announced[1]!.data).toMatchObject({
      amount: TOTAL,
      paymentId: (await paymentOf(h, orderId)).paymentId,
      metadata: { causationId: cancelled.data.metadata.eventId },
    });
  });

  it("serialises OrderPlaced and InventoryReserved arriving at the same time: one payment", async () => {
    const orderIds = Array.from({ length: 10 }, () => randomUUID());
    await Promise.all(
      orderIds.flatMap((orderId) => {
        const order = orderEvents(orderId);
        return [h.deliver(order.placed()), h.deliver(order.reserved())];
      }),
    );
    await Promise.all([drain(h, h.worker()), drain(h, h.worker())]);
    for (const orderId of orderIds) {
      expect(await charges(h, orderId)).toBe(1);
      expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
    }
    expect(await h.count("order_payments", "payment_id IS NOT NULL")).toBe(10);
  });
});

describe("the gateway's answers", () => {
  it("retries tok_gateway_error with backoff: one charge, two attempts", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId, "tok_gateway_error");
    const t0 = Date.now();
    h.setNow(t0);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    const worker = h.worker();
    expect(await worker.runOnce()).toBe(1);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(await worker.runOnce()).toBe(0); // backing off

    h.setNow(t0 + 50);
    expect(await worker.runOnce()).toBe(1);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 2, result: "succeeded" });
    expect(await charges(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
  });

  it.each([
    ["tok_declined", "CARD_DECLINED"],
    ["tok_insufficient_funds", "INSUFFICIENT_FUNDS"],
    ["tok_expired", "CARD_EXPIRED"],
    ["tok_unheard_of", "INVALID_PAYMENT_METHOD"],
  ])("announces PaymentFailed for %s with the reason %s", async (token, reason) => {
    const orderId = randomUUID();
    const order = orderEvents(orderId, token);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    await drain(h);
    const payment = await paymentOf(h, orderId);
    expect(payment).toMatchObject({ status: "FAILED", attempts: 1, failure: { reason } });
    expect(payment.failure.detail).toEqual(expect.any(String));
    const announced = await h.announced(orderId);
    expect(announced).toMatchObject([
      {
        type: "PaymentFailed",
        data: {
          orderId,
          paymentId: payment.paymentId,
          amount: TOTAL,
          reason,
          detail: payment.failure.detail,
        },
      },
    ]);
    expect(await charges(h, orderId)).toBe(0);

    // A cancellation after the failure has nothing to pay back.
    await h.deliver(order.cancelled());
    await drain(h);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentFailed"]);
  });
});

describe("calls the processor refuses for good", () => {
  it("fails the payment with INVALID_PAYMENT_METHOD when the processor rejects the token, after one call", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId, "pm_card_visa");
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({
      status: "FAILED",
      attempts: 1,
      failure: { reason: "INVALID_PAYMENT_METHOD" },
    });
    expect(await h.announced(orderId)).toMatchObject([
      { type: "PaymentFailed", data: { orderId, reason: "INVALID_PAYMENT_METHOD" } },
    ]);
  });

  it("fails the payment with OTHER when the processor refuses its key (first used for another request), never retrying it", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    // Something else already used the order's key at the processor, for another amount.
    await h.gateway.charge(
      { idempotencyKey: orderId, token: "tok_visa", amount: { amountMinor: 1, currency: "EUR" } },
      { signal: AbortSignal.timeout(10_000) },
    );
    const t0 = Date.now();
    h.setNow(t0);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    expect(await h.worker().runOnce()).toBe(1);
    h.setNow(t0 + 60_000);
    expect(await h.worker().runOnce()).toBe(0);
    const payment = await paymentOf(h, orderId);
    expect(payment).toMatchObject({ status: "FAILED", attempts: 1, failure: { reason: "OTHER" } });
    expect(payment.failure.detail).toMatch(/first used for a different request/);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentFailed"]);
  });
});
