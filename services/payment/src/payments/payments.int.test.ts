import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChargeRequest, GatewayCall, PaymentGateway } from "../gateway/gateway.js";
import { createSimulatedGateway } from "../gateway/simulator.js";
import { createHarness, GATEWAY_TIMEOUT_MS, type Harness, orderEvents, TOTAL } from "../testing/harness.js";

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const paymentOf = async (orderId: string) => {
  const { payments } = (await h.support(`/payments?orderId=${orderId}`)).json();
  expect(payments.length).toBeLessThanOrEqual(1);
  return payments[0];
};
const charges = (orderId: string) =>
  h.count("gateway_simulator_ledger", `idempotency_key = '${orderId}' AND result = 'succeeded'`);
const refunds = (orderId: string) =>
  h.count("gateway_simulator_ledger", `idempotency_key = '${orderId}:refund' AND result = 'succeeded'`);
const types = async (orderId: string) => (await h.announced(orderId)).map((event) => event.type);

/** Runs worker rounds until one finds nothing due. */
async function drain(worker = h.worker()): Promise<void> {
  for (let round = 0; round < 20; round++) if ((await worker.runOnce()) === 0) return;
  throw new Error("the worker never ran out of due work");
}

describe("charging an order once", () => {
  it("charges when InventoryReserved follows OrderPlaced, and announces PaymentProcessed", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    const reserved = order.reserved();
    expect(await h.deliver(order.placed())).toBe("processed");
    await drain();
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    await h.deliver(reserved);
    await drain();

    expect(await paymentOf(orderId)).toMatchObject({
      status: "PROCESSED",
      amount: TOTAL,
      attempts: 1,
      refund: null,
    });
    expect(await charges(orderId)).toBe(1);
    const [processed, ...rest] = await h.announced(orderId);
    expect(rest).toEqual([]);
    expect(processed).toMatchObject({
      type: "PaymentProcessed",
      data: {
        orderId,
        paymentId: (await paymentOf(orderId)).paymentId,
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
    await drain();
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await h.count("gateway_simulator_ledger")).toBe(0);

    await h.deliver(order.placed());
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", amount: TOTAL, attempts: 1 });
    expect(await charges(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed"]);
  });

  it("never charges an order whose cancellation came first", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    await h.deliver(order.cancelled());
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    await drain();
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    expect(await types(orderId)).toEqual([]);
  });

  it("voids a charge requested but not yet sent when the cancellation arrives", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    await h.deliver(order.cancelled());
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "VOIDED", attempts: 0 });
    expect(await h.count("gateway_simulator_ledger")).toBe(0);
    expect(await types(orderId)).toEqual([]);
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
    await drain();
    await deliverEveryWay(placed);
    await deliverEveryWay(reserved);
    await h.deliver(order.confirmed());
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", attempts: 1 });

    await deliverEveryWay(cancelled);
    await drain();
    await deliverEveryWay(cancelled);
    await deliverEveryWay(reserved);
    await deliverEveryWay(placed);
    await drain();

    expect(await paymentOf(orderId)).toMatchObject({
      status: "REFUNDED",
      attempts: 1,
      refund: { status: "REFUNDED", attempts: 1 },
    });
    expect(await charges(orderId)).toBe(1);
    expect(await refunds(orderId)).toBe(1);
    expect(await h.count("order_payments")).toBe(1);
    const announced = await h.announced(orderId);
    expect(announced.map((event) => event.type)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
    expect(announced[1]!.data).toMatchObject({
      amount: TOTAL,
      paymentId: (await paymentOf(orderId)).paymentId,
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
    await Promise.all([drain(h.worker()), drain(h.worker())]);
    for (const orderId of orderIds) {
      expect(await charges(orderId)).toBe(1);
      expect(await types(orderId)).toEqual(["PaymentProcessed"]);
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
    expect(await paymentOf(orderId)).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(await worker.runOnce()).toBe(0); // backing off

    h.setNow(t0 + 50);
    expect(await worker.runOnce()).toBe(1);
    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 2, result: "succeeded" });
    expect(await charges(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed"]);
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
    await drain();
    const payment = await paymentOf(orderId);
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
    expect(await charges(orderId)).toBe(0);

    // A cancellation after the failure has nothing to pay back.
    await h.deliver(order.cancelled());
    await drain();
    expect(await types(orderId)).toEqual(["PaymentFailed"]);
  });
});

describe("calls the processor refuses for good", () => {
  it("fails the payment with INVALID_PAYMENT_METHOD when the processor rejects the token, after one call", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId, "pm_card_visa");
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({
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
    const payment = await paymentOf(orderId);
    expect(payment).toMatchObject({ status: "FAILED", attempts: 1, failure: { reason: "OTHER" } });
    expect(payment.failure.detail).toMatch(/first used for a different request/);
    expect(await types(orderId)).toEqual(["PaymentFailed"]);
  });
});

describe("a charge abandoned at its timeout, then the order cancelled", () => {
  const LEASE = 1_000;

  it("aborts the abandoned call: it never charges after the lookup voided the payment", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    // The processor takes longer than the caller waits; lookups answer at once.
    const slow = createSimulatedGateway({ pool: h.pool, latencyMs: 30_000 });
    let abandoned: Promise<unknown> | undefined;
    const gateway: PaymentGateway = {
      ...h.gateway,
      charge(request, call) {
        const charging = slow.charge(request, call);
        abandoned = charging.then(
          () => "landed",
          () => "aborted",
        );
        return charging;
      },
    };
    const t0 = Date.now();
    h.setNow(t0);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    const worker = h.worker({ gateway, gatewayTimeoutMs: 100, leaseMs: LEASE });
    expect(await worker.runOnce()).toBe(1);
    expect(await paymentOf(orderId)).toMatchObject({ status: "PENDING", attempts: 1 });
    await h.deliver(order.cancelled());
    h.setNow(t0 + LEASE);
    await drain(worker);
    expect(await abandoned).toBe("aborted");
    h.setNow(t0 + 10 * LEASE);
    await drain(worker);

    expect(await paymentOf(orderId)).toMatchObject({ status: "VOIDED" });
    expect(await h.gateway.ledger(orderId)).toBeNull();
    expect(await types(orderId)).toEqual([]);
  });

  it("finds a late charge by its key while the call window is open, and refunds it", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    // A processor that already holds the request: aborting the call cannot take it back.
    let land!: () => void;
    const held = new Promise<void>((resolve) => {
      land = resolve;
    });
    let landed: Promise<unknown> | undefined;
    const gateway: PaymentGateway = {
      ...h.gateway,
      charge(request) {
        landed = held.then(() => h.gateway.charge(request, { signal: new AbortController().signal }));
        return landed as ReturnType<PaymentGateway["charge"]>;
      },
    };
    const t0 = Date.now();
    h.setNow(t0);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    const worker = h.worker({ gateway, gatewayTimeoutMs: 100, leaseMs: LEASE });
    expect(await worker.runOnce()).toBe(1); // timed out: in doubt
    await h.deliver(order.cancelled());
    h.setNow(t0 + LEASE / 2);
    expect(await worker.runOnce()).toBe(1); // the lookup finds nothing yet
    expect(await paymentOf(orderId)).toMatchObject({ status: "PENDING" });

    land();
    await landed;
    expect(await charges(orderId)).toBe(1);
    h.setNow(t0 + LEASE);
    await drain(worker);

    expect(await paymentOf(orderId)).toMatchObject({ status: "REFUNDED", refund: { status: "REFUNDED" } });
    expect(await charges(orderId)).toBe(1);
    expect(await refunds(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
  });
});

describe("a crash between the gateway call and recording its result", () => {
  const LEASE = GATEWAY_TIMEOUT_MS * 2;

  /** A gateway whose caller dies right after the processor took the call: the answer never comes back. */
  function dyingAfterTheCall(): PaymentGateway & { reached: Promise<void> } {
    let reached!: () => void;
    const promise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    return {
      reached: promise,
      async charge(request: ChargeRequest, call: GatewayCall) {
        await h.gateway.charge(request, call);
        reached();
        return new Promise(() => {});
      },
      findCharge: (key, call) => h.gateway.findCharge(key, call),
      refund: (request, call) => h.gateway.refund(request, call),
    };
  }

  /** A gateway whose caller dies before its request leaves. */
  function dyingBeforeTheCall(): PaymentGateway & { reached: Promise<void> } {
    let reached!: () => void;
    const promise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    return {
      reached: promise,
      charge() {
        reached();
        return new Promise(() => {});
      },
      findCharge: (key, call) => h.gateway.findCharge(key, call),
      refund: (request, call) => h.gateway.refund(request, call),
    };
  }

  async function crashWhileCharging(gateway: PaymentGateway & { reached: Promise<void> }) {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    const t0 = Date.now();
    h.setNow(t0);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    // The dead worker never times its call out: it is gone, only its lease is left.
    void h.worker({ gateway, gatewayTimeoutMs: 60 * 60_000, leaseMs: LEASE }).runOnce();
    await gateway.reached;
    return { orderId, order, t0 };
  }

  it("recovers after the lease by calling again with the same key: the processor answers, nothing is charged twice", async () => {
    const { orderId, t0 } = await crashWhileCharging(dyingAfterTheCall());
    expect(await charges(orderId)).toBe(1);
    expect(await paymentOf(orderId)).toMatchObject({ status: "PENDING", attempts: 1 });

    const survivor = h.worker();
    h.setNow(t0 + LEASE - 1);
    expect(await survivor.runOnce()).toBe(0);
    h.setNow(t0 + LEASE);
    expect(await survivor.runOnce()).toBe(1);

    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 2, result: "succeeded" });
    expect(await charges(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed"]);
  });

  it("charges once after a crash before the call left", async () => {
    const { orderId, t0 } = await crashWhileCharging(dyingBeforeTheCall());
    h.setNow(t0 + LEASE);
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 1, result: "succeeded" });
    expect(await types(orderId)).toEqual(["PaymentProcessed"]);
  });

  it("cancelled in the window: asks the processor, and refunds the charge it finds", async () => {
    const { orderId, order, t0 } = await crashWhileCharging(dyingAfterTheCall());
    await h.deliver(order.cancelled());
    expect(await paymentOf(orderId)).toMatchObject({ status: "PENDING" });
    h.setNow(t0 + LEASE);
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "REFUNDED", refund: { status: "REFUNDED" } });
    // The lookup is not a charge call: the processor saw one charge and one refund.
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 1, result: "succeeded" });
    expect(await refunds(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
  });

  it("cancelled in the window: finds no charge and voids it, never charging after the cancel", async () => {
    const { orderId, order, t0 } = await crashWhileCharging(dyingBeforeTheCall());
    await h.deliver(order.cancelled());
    h.setNow(t0 + LEASE);
    await drain();
    expect(await paymentOf(orderId)).toMatchObject({ status: "VOIDED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toBeNull();
    expect(await types(orderId)).toEqual([]);
  });

  it("keeps claiming while earlier calls wait for the processor, not one round at a time", async () => {
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const orders = ids.map((id) => orderEvents(id));
    for (const order of orders) {
      await h.deliver(order.placed());
      await h.deliver(order.reserved());
    }
    let waiting = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gateway: PaymentGateway = {
      ...h.gateway,
      async charge(request, call) {
        waiting += 1;
        await held;
        return h.gateway.charge(request, call);
      },
    };
    // No call times out (a timed-out call is claimed again once due, and would count twice).
    const worker = h.worker({ gateway, batchSize: 5, pollMs: 10, gatewayTimeoutMs: 60 * 60_000 });
    worker.start();
    try {
      // With rounds of 5 the worker would wait for the held calls and never get past 5.
      const deadline = Date.now() + 5_000;
      while (waiting < orders.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(waiting).toBe(orders.length);
    } finally {
      release();
      await worker.stop();
    }
    for (const id of ids) expect(await types(id)).toEqual(["PaymentProcessed"]);
  });

  it("records the result of a slow call that outlived its lease once: the later answer changes nothing", async () => {
    const orderId = randomUUID();
    const order = orderEvents(orderId);
    await h.deliver(order.placed());
    await h.deliver(order.reserved());
    const slow = h.worker({ gateway: { ...h.gateway, charge: slowCharge }, leaseMs: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function slowCharge(request: ChargeRequest, call: GatewayCall) {
      const result = await h.gateway.charge(request, call);
      await held;
      return result;
    }
    const slowRound = slow.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await drain(); // the lease ran out: another worker settles it with the same key
    release();
    await slowRound;
    expect(await paymentOf(orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await charges(orderId)).toBe(1);
    expect(await types(orderId)).toEqual(["PaymentProcessed"]);
  });
});
