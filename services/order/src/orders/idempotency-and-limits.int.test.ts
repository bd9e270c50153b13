import { testTokens } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { harnessPerTest, postOrder, requestsAs, stranger, validOrder } from "../testing/harness.js";

/** Retried placements (Idempotency-Key) and the rate limits on placing orders. */

const h = harnessPerTest({ poolSize: 12 });

describe("Idempotency-Key", () => {
  it("replays the first response and creates nothing new", async () => {
    const first = await postOrder(h, validOrder(), { "idempotency-key": "retry-1" });
    // Same JSON value with its keys in another order: still the same request.
    const { items, ...rest } = validOrder();
    const second = await postOrder(h, { items, ...rest }, { "idempotency-key": "retry-1" });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(await h.count("orders")).toBe(1);
    expect(await h.count("order_events")).toBe(1);
    expect(await h.count("outbox")).toBe(1);
  });

  it("refuses the same key with a different body (422) and writes nothing for it", async () => {
    await postOrder(h, validOrder(), { "idempotency-key": "retry-2" });
    const other = await postOrder(
      h,
      { ...validOrder(), items: [{ sku: "HRL-MUG-BLUE", quantity: 5 }] },
      { "idempotency-key": "retry-2" },
    );
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe("ORDER_IDEMPOTENCY_KEY_REUSED");
    expect(await h.count("orders")).toBe(1);
  });

  it("creates exactly one order when the same key is replayed concurrently", async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => postOrder(h, validOrder(), { "idempotency-key": "race-1" })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    const ids = new Set(responses.map((r) => r.json().orderId));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers["idempotent-replayed"] === "true")).toHaveLength(9);
    expect(await h.count("orders")).toBe(1);
    expect(await h.count("order_events")).toBe(1);
    expect(await h.count("outbox")).toBe(1);
  });

  it("lets a key be used again after the request holding it failed", async () => {
    const failed = await postOrder(
      h,
      { ...validOrder(), items: [{ sku: "NO-SUCH-THING", quantity: 1 }] },
      { "idempotency-key": "retry-3" },
    );
    expect(failed.statusCode).toBe(422);
    const fixed = await postOrder(h, validOrder(), { "idempotency-key": "retry-3" });
    expect(fixed.statusCode).toBe(202);
    expect(fixed.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("placement rate limits", () => {
  it("answers 429 with Retry-After past a customer's orders per minute, and places none of those", async () => {
    await h.reopen({ env: { ORDER_RATE_LIMIT_PER_CUSTOMER: "3" } });
    const responses = [];
    for (let i = 0; i < 5; i++) responses.push(await postOrder(h, validOrder()));
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 429, 429]);
    expect(responses[3]!.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(responses[3]!.headers["retry-after"])).toBeGreaterThan(0);
    expect(await h.count("orders")).toBe(3);
    // Another customer has an allowance of their own.
    const other = await (await stranger(h))({
      method: "POST",
      url: "/orders",
      payload: { ...validOrder(), customerId: "cust-99", customerEmail: "cust-99@example.com" },
    });
    expect(other.statusCode).toBe(202);
  });

  it("answers 429 past one client address's orders per minute, whoever's token it sends", async () => {
    await h.reopen({ env: { ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: "2" } });
    const statuses = [];
    for (const customer of ["cust-a", "cust-b", "cust-c"]) {
      const inject = await requestsAs(h, testTokens.customer(customer));
      const { customerId: _id, customerEmail: _email, ...order } = validOrder();
      statuses.push((await inject({ method: "POST", url: "/orders", payload: order })).statusCode);
    }
    expect(statuses).toEqual([202, 202, 429]);
  });
});
