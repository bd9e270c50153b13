import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ChargeRequest, GatewayCall, PaymentGateway } from "../gateway/gateway.js";
import { createSimulatedGateway } from "../gateway/simulator.js";
import {
  announcedTypes,
  charges,
  drain,
  GATEWAY_TIMEOUT_MS,
  harnessPerTest,
  orderEvents,
  paymentOf,
  refunds,
} from "../testing/harness.js";

/**
 * Charges whose outcome the service does not know: a call abandoned at its timeout, a worker that
 * died around the call. The processor is asked again under the same key; nothing is charged twice
 * and nothing is charged after a cancellation.
 */

const h = harnessPerTest();

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
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PENDING", attempts: 1 });
    await h.deliver(order.cancelled());
    h.setNow(t0 + LEASE);
    await drain(h, worker);
    expect(await abandoned).toBe("aborted");
    h.setNow(t0 + 10 * LEASE);
    await drain(h, worker);

    expect(await paymentOf(h, orderId)).toMatchObject({ status: "VOIDED" });
    expect(await h.gateway.ledger(orderId)).toBeNull();
    expect(await announcedTypes(h, orderId)).toEqual([]);
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
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PENDING" });

    land();
    await landed;
    expect(await charges(h, orderId)).toBe(1);
    h.setNow(t0 + LEASE);
    await drain(h, worker);

    expect(await paymentOf(h, orderId)).toMatchObject({ status: "REFUNDED", refund: { status: "REFUNDED" } });
    expect(await charges(h, orderId)).toBe(1);
    expect(await refunds(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
  });
});

describe("a crash between the gateway call and recording its result", () => {
  const LEASE = GATEWAY_TIMEOUT_MS * 2;

  /**
   * A gateway whose caller dies as it charges: right after the processor took the call ("after":
   * the answer never comes back), or before its request leaves ("before").
   */
  function dying(when: "before" | "after"): PaymentGateway & { reached: Promise<void> } {
    let reached!: () => void;
    const promise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    return {
      reached: promise,
      async charge(request: ChargeRequest, call: GatewayCall) {
        if (when === "after") await h.gateway.charge(request, call);
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
    const { orderId, t0 } = await crashWhileCharging(dying("after"));
    expect(await charges(h, orderId)).toBe(1);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PENDING", attempts: 1 });

    const survivor = h.worker();
    h.setNow(t0 + LEASE - 1);
    expect(await survivor.runOnce()).toBe(0);
    h.setNow(t0 + LEASE);
    expect(await survivor.runOnce()).toBe(1);

    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 2, result: "succeeded" });
    expect(await charges(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
  });

  it("charges once after a crash before the call left", async () => {
    const { orderId, t0 } = await crashWhileCharging(dying("before"));
    h.setNow(t0 + LEASE);
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 1, result: "succeeded" });
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
  });

  it("cancelled in the window: asks the processor, and refunds the charge it finds", async () => {
    const { orderId, order, t0 } = await crashWhileCharging(dying("after"));
    await h.deliver(order.cancelled());
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PENDING" });
    h.setNow(t0 + LEASE);
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "REFUNDED", refund: { status: "REFUNDED" } });
    // The lookup is not a charge call: the processor saw one charge and one refund.
    expect(await h.gateway.ledger(orderId)).toMatchObject({ calls: 1, result: "succeeded" });
    expect(await refunds(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed", "PaymentRefunded"]);
  });

  it("cancelled in the window: finds no charge and voids it, never charging after the cancel", async () => {
    const { orderId, order, t0 } = await crashWhileCharging(dying("before"));
    await h.deliver(order.cancelled());
    h.setNow(t0 + LEASE);
    await drain(h);
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "VOIDED", attempts: 2 });
    expect(await h.gateway.ledger(orderId)).toBeNull();
    expect(await announcedTypes(h, orderId)).toEqual([]);
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
    for (const id of ids) expect(await announcedTypes(h, id)).toEqual(["PaymentProcessed"]);
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
    await drain(h); // the lease ran out: another worker settles it with the same key
    release();
    await slowRound;
    expect(await paymentOf(h, orderId)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await charges(h, orderId)).toBe(1);
    expect(await announcedTypes(h, orderId)).toEqual(["PaymentProcessed"]);
  });
});
