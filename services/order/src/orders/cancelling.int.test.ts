import { createMetadata } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import { describe, expect, it } from "vitest";
import { confirm, harnessPerTest, paymentProcessed, placeOrder } from "../testing/harness.js";
import type { OrderEvent } from "./domain.js";
import { appendToStream } from "./event-store.js";

/**
 * Cancelling an order, and the event store that keeps concurrent writers of one order apart
 * (a cancel racing a payment, two writers appending the same version).
 */

const h = harnessPerTest({ poolSize: 12 });

describe("POST /orders/:id/cancel", () => {
  it("cancels a placed order once; a retry returns it unchanged", async () => {
    const id = await placeOrder(h);
    const first = await h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      status: "CANCELLED",
      version: 2,
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
    const again = await h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    expect(again.json()).toEqual(first.json());
    expect(
      (await h.customer(`/orders/${id}/history`)).json().events.map((e: { type: string }) => e.type),
    ).toEqual(["OrderPlaced", "OrderCancelled"]);
    expect(await h.count("outbox")).toBe(2);
  });

  it("cancels a confirmed order: OrderCancelled(CUSTOMER_REQUEST) after OrderConfirmed, once", async () => {
    const id = await placeOrder(h);
    await confirm(h, id);
    const response = await h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: "CANCELLED",
      version: 3,
      confirmedAt: expect.any(String),
      cancellation: { reason: "CUSTOMER_REQUEST", detail: null },
    });
    const again = await h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    expect(again.json()).toEqual(response.json());
    expect(
      (await h.customer(`/orders/${id}/history`)).json().events.map((e: { type: string }) => e.type),
    ).toEqual(["OrderPlaced", "OrderConfirmed", "OrderCancelled"]);
    expect(await h.count("outbox")).toBe(3);
  });
});

describe("the event store", () => {
  it("lets only one of two writers append from the same version", async () => {
    const id = await placeOrder(h);
    const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
    const cancelledAt = (producer: string): OrderEvent => ({
      type: "OrderCancelled",
      data: {
        ...placed,
        metadata: createMetadata({ producer, cause: placed.metadata }),
        reason: "OTHER",
        detail: null,
      },
    });
    const a = await h.pool.connect();
    const b = await h.pool.connect();
    try {
      await a.query("BEGIN");
      await b.query("BEGIN");
      await appendToStream(a, id, 1, [cancelledAt("a")]);
      const second = appendToStream(b, id, 1, [cancelledAt("b")]);
      await a.query("COMMIT");
      await expect(second).rejects.toMatchObject({ code: "ORDER_CONCURRENCY_CONFLICT", retryable: true });
      await b.query("ROLLBACK");
    } finally {
      a.release();
      b.release();
    }
    expect(await h.count("order_events")).toBe(2);
  });

  it("is append-only", async () => {
    await placeOrder(h);
    await expect(h.pool.query("UPDATE order_events SET event_type = 'X'")).rejects.toThrow(/append-only/);
    await expect(h.pool.query("DELETE FROM order_events")).rejects.toThrow(/append-only/);
    expect(await h.count("order_events")).toBe(1);
  });

  /** Resolves once a backend of this database waits for a lock (the other writer's uncommitted row). */
  const someoneWaitsForALock = async () => {
    for (const deadline = Date.now() + 10_000; ; ) {
      const { rows } = await h.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0]!.n > 0) return;
      if (Date.now() > deadline) throw new Error("no writer ever waited for the other");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it("cancels after a payment that committed first: the cancel waits, retries, and follows the confirmation", async () => {
    const id = await placeOrder(h);
    const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
    let commit!: () => void;
    const gate = new Promise<void>((resolve) => {
      commit = resolve;
    });
    // The payment's transaction appends OrderConfirmed and holds it uncommitted...
    let appended!: () => void;
    const confirmedButOpen = new Promise<void>((resolve) => {
      appended = resolve;
    });
    const payment = withTransaction(h.pool, async (tx) => {
      const decision = await h.handler.react(paymentProcessed(id, placed.metadata), tx);
      appended();
      await gate;
      return decision;
    });
    await confirmedButOpen;
    // ...while the customer's cancel reads version 1 and blocks appending version 2 behind it.
    const cancel = h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    await someoneWaitsForALock();
    commit();
    expect((await payment).events.map((e) => e.type)).toEqual(["OrderConfirmed"]);
    const cancelled = await cancel;
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: "CANCELLED", version: 3 });
    const events = (await h.customer(`/orders/${id}/history`))
      .json()
      .events.map((e: { type: string }) => e.type);
    expect(events).toEqual(["OrderPlaced", "OrderConfirmed", "OrderCancelled"]);
  });

  it("ignores a payment that arrives after the customer's cancel committed", async () => {
    const id = await placeOrder(h);
    const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
    expect((await h.customer({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);
    const late = await withTransaction(h.pool, (tx) =>
      h.handler.react(paymentProcessed(id, placed.metadata), tx),
    );
    expect(late.events).toEqual([]);
    const events = (await h.customer(`/orders/${id}/history`))
      .json()
      .events.map((e: { type: string }) => e.type);
    expect(events).toEqual(["OrderPlaced", "OrderCancelled"]);
  });
});
