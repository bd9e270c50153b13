import { createMetadata } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BODY_LIMIT } from "../app.js";
import { createHarness, type Harness, VALID_ORDER_TOTAL, validOrder } from "../testing/harness.js";
import type { OrderEvent } from "./domain.js";
import { appendToStream } from "./event-store.js";

const OUTBOX_TABLE = "outbox";

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ poolSize: 12 });
});
afterEach(async () => {
  await h.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method: "POST", url: "/orders", payload: payload as object, headers });

async function nothingWritten(): Promise<void> {
  expect({
    events: await h.count("order_events"),
    orders: await h.count("orders"),
    keys: await h.count("idempotency_keys"),
    outbox: await h.count(OUTBOX_TABLE),
  }).toEqual({ events: 0, orders: 0, keys: 0, outbox: 0 });
}

async function placeOrder(): Promise<string> {
  const response = await post(validOrder());
  expect(response.statusCode).toBe(202);
  return response.json().orderId;
}

describe("POST /orders", () => {
  it("places an order priced from the catalog: 202, Location, event, outbox row and view", async () => {
    const response = await post(validOrder());
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ orderId: expect.any(String), status: "PLACED", total: VALID_ORDER_TOTAL });
    expect(response.headers.location).toBe(`/orders/${body.orderId}`);

    const view = (await h.app.inject(`/orders/${body.orderId}`)).json();
    expect(view).toMatchObject({
      orderId: body.orderId,
      status: "PLACED",
      version: 1,
      customerId: "cust-42",
      total: VALID_ORDER_TOTAL,
      lines: [
        {
          sku: "HRL-MUG-BLUE",
          quantity: 2,
          unitPrice: { amountMinor: 1290, currency: "EUR" },
          lineTotal: { amountMinor: 2580, currency: "EUR" },
        },
        { sku: "HRL-TEE-BLACK-M", quantity: 1, unitPrice: { amountMinor: 2490, currency: "EUR" } },
      ],
      shippingAddress: { recipientName: "Ada Lovelace", line2: null, region: null, country: "GB" },
    });
    const history = (await h.app.inject(`/orders/${body.orderId}/history`)).json();
    expect(history.events).toHaveLength(1);
    expect(history.events[0]).toMatchObject({ version: 1, type: "OrderPlaced" });
    expect(history.events[0].data.metadata).toMatchObject({ producer: "order", causationId: null });
    expect(await h.count(OUTBOX_TABLE)).toBe(1);
  });

  const missing = (key: string) => {
    const order: Record<string, unknown> = validOrder();
    delete order[key];
    return order;
  };
  const withItems = (items: unknown) => ({ ...validOrder(), items });
  const badInputs: [string, unknown, number, string, RegExp][] = [
    [
      "a missing field",
      missing("customerEmail"),
      400,
      "VALIDATION_FAILED",
      /body\/customerEmail is required/,
    ],
    [
      "a client-supplied price",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: 1, unitPrice: 1 }]),
      400,
      "VALIDATION_FAILED",
      /body\/items\/0\/unitPrice is not allowed/,
    ],
    [
      "an extra top-level field",
      { ...validOrder(), total: 1 },
      400,
      "VALIDATION_FAILED",
      /body\/total is not allowed/,
    ],
    [
      "an extra address field",
      { ...validOrder(), shippingAddress: { ...validOrder().shippingAddress, floor: 3 } },
      400,
      "VALIDATION_FAILED",
      /body\/shippingAddress\/floor is not allowed/,
    ],
    [
      "a zero quantity",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: 0 }]),
      400,
      "VALIDATION_FAILED",
      /body\/items\/0\/quantity must be >= 1/,
    ],
    [
      "a negative quantity",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: -3 }]),
      400,
      "VALIDATION_FAILED",
      /quantity must be >= 1/,
    ],
    [
      "an absurd quantity",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: 1_000_000 }]),
      400,
      "VALIDATION_FAILED",
      /quantity must be <= 1000/,
    ],
    [
      "a fractional quantity",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: 1.5 }]),
      400,
      "VALIDATION_FAILED",
      /quantity must be integer/,
    ],
    [
      "a quantity as a string",
      withItems([{ sku: "HRL-MUG-BLUE", quantity: "2" }]),
      400,
      "VALIDATION_FAILED",
      /quantity must be integer/,
    ],
    ["no items", withItems([]), 400, "VALIDATION_FAILED", /body\/items must NOT have fewer than 1 items/],
    [
      "too many items",
      withItems(Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }))),
      400,
      "VALIDATION_FAILED",
      /must NOT have more than 100 items/,
    ],
    [
      "duplicate SKUs",
      withItems([
        { sku: "HRL-MUG-BLUE", quantity: 1 },
        { sku: "HRL-MUG-BLUE", quantity: 2 },
      ]),
      400,
      "ORDER_DUPLICATE_SKU",
      /repeated: HRL-MUG-BLUE/,
    ],
    [
      "unknown SKUs",
      withItems([
        { sku: "HRL-MUG-BLUE", quantity: 1 },
        { sku: "NO-SUCH-THING", quantity: 1 },
        { sku: "GONE-TOO", quantity: 1 },
      ]),
      422,
      "ORDER_UNKNOWN_SKU",
      /not in the catalog: NO-SUCH-THING, GONE-TOO/,
    ],
    [
      "a malformed email",
      { ...validOrder(), customerEmail: "not-an-email" },
      400,
      "VALIDATION_FAILED",
      /body\/customerEmail must match format "email"/,
    ],
    [
      "card data instead of a token",
      { ...validOrder(), paymentMethodToken: "4242424242424242" },
      400,
      "VALIDATION_FAILED",
      /body\/paymentMethodToken must match pattern/,
    ],
    ["an array body", [validOrder()], 400, "VALIDATION_FAILED", /body must be object/],
  ];

  it.each(badInputs)(
    "refuses %s with a clear error and writes nothing",
    async (_case, payload, status, code, message) => {
      const response = await post(payload, { "idempotency-key": "bad-input-key" });
      expect(response.statusCode).toBe(status);
      const body = response.json();
      expect(body.code).toBe(code);
      expect(body.message).toMatch(message);
      await nothingWritten();
    },
  );

  it("refuses non-JSON, unsupported media types and oversized bodies", async () => {
    const notJson = await h.app.inject({
      method: "POST",
      url: "/orders",
      headers: { "content-type": "application/json" },
      payload: '{"customerId": "cust-42",',
    });
    expect([notJson.statusCode, notJson.json().code]).toEqual([400, "INVALID_JSON"]);
    const form = await h.app.inject({
      method: "POST",
      url: "/orders",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "customerId=cust-42",
    });
    expect([form.statusCode, form.json().code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const huge = await post({ ...validOrder(), customerId: "x".repeat(BODY_LIMIT) });
    expect([huge.statusCode, huge.json().code]).toEqual([413, "BODY_TOO_LARGE"]);
    await nothingWritten();
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response and creates nothing new", async () => {
    const first = await post(validOrder(), { "idempotency-key": "retry-1" });
    // Same JSON value with its keys in another order: still the same request.
    const { items, ...rest } = validOrder();
    const second = await post({ items, ...rest }, { "idempotency-key": "retry-1" });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(await h.count("orders")).toBe(1);
    expect(await h.count("order_events")).toBe(1);
    expect(await h.count(OUTBOX_TABLE)).toBe(1);
  });

  it("refuses the same key with a different body (422) and writes nothing for it", async () => {
    await post(validOrder(), { "idempotency-key": "retry-2" });
    const other = await post({ ...validOrder(), customerId: "cust-43" }, { "idempotency-key": "retry-2" });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe("ORDER_IDEMPOTENCY_KEY_REUSED");
    expect(await h.count("orders")).toBe(1);
  });

  it("creates exactly one order when the same key is replayed concurrently", async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(validOrder(), { "idempotency-key": "race-1" })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    const ids = new Set(responses.map((r) => r.json().orderId));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers["idempotent-replayed"] === "true")).toHaveLength(9);
    expect(await h.count("orders")).toBe(1);
    expect(await h.count("order_events")).toBe(1);
    expect(await h.count(OUTBOX_TABLE)).toBe(1);
  });

  it("lets a key be used again after the request holding it failed", async () => {
    const failed = await post(
      { ...validOrder(), items: [{ sku: "NO-SUCH-THING", quantity: 1 }] },
      { "idempotency-key": "retry-3" },
    );
    expect(failed.statusCode).toBe(422);
    const fixed = await post(validOrder(), { "idempotency-key": "retry-3" });
    expect(fixed.statusCode).toBe(202);
    expect(fixed.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("reading orders", () => {
  it("answers 404 for an unknown order and 400 for a malformed id", async () => {
    const unknown = "8d3c6c9e-2f0b-4b0f-9a59-2b1f7f7f0d11";
    for (const url of [`/orders/${unknown}`, `/orders/${unknown}/history`]) {
      const response = await h.app.inject(url);
      expect([response.statusCode, response.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
      expect(response.json().message).toContain(unknown);
    }
    const cancel = await h.app.inject({ method: "POST", url: `/orders/${unknown}/cancel` });
    expect([cancel.statusCode, cancel.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
    const malformed = await h.app.inject("/orders/42");
    expect([malformed.statusCode, malformed.json().message]).toEqual([
      400,
      'params/id must match format "uuid"',
    ]);
    const badAsOf = await h.app.inject(`/orders/${unknown}?asOf=yesterday`);
    expect(badAsOf.statusCode).toBe(400);
    await nothingWritten();
  });

  it("shows the state as of a past moment", async () => {
    h.setNow(new Date("2025-03-01T10:00:00.000Z"));
    const id = await placeOrder();
    h.setNow(new Date("2025-03-01T10:05:00.000Z"));
    expect((await h.app.inject({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);

    const at = async (asOf: string) => h.app.inject(`/orders/${id}?asOf=${encodeURIComponent(asOf)}`);
    expect((await at("2025-03-01T09:59:59.999Z")).statusCode).toBe(404);
    expect((await at("2025-03-01T10:00:00.000Z")).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await at("2025-03-01T10:04:59+00:00")).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await at("2025-03-01T10:05:00.000Z")).json()).toMatchObject({
      status: "CANCELLED",
      version: 2,
      cancellation: { reason: "CUSTOMER_REQUEST", cancelledAt: "2025-03-01T10:05:00.000Z" },
    });
    expect((await h.app.inject(`/orders/${id}`)).json()).toEqual((await at("2030-01-01T00:00:00Z")).json());
  });

  it("lists the catalog", async () => {
    const response = await h.app.inject("/catalog");
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toHaveLength(6);
    expect(response.json().items).toContainEqual({
      sku: "HRL-MUG-BLUE",
      name: "Herald mug, blue",
      unitPrice: { amountMinor: 1290, currency: "EUR" },
    });
  });
});

describe("POST /orders/:id/cancel", () => {
  it("cancels a placed order once; a retry returns it unchanged", async () => {
    const id = await placeOrder();
    const first = await h.app.inject({ method: "POST", url: `/orders/${id}/cancel` });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      status: "CANCELLED",
      version: 2,
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
    const again = await h.app.inject({ method: "POST", url: `/orders/${id}/cancel` });
    expect(again.json()).toEqual(first.json());
    expect(
      (await h.app.inject(`/orders/${id}/history`)).json().events.map((e: { type: string }) => e.type),
    ).toEqual(["OrderPlaced", "OrderCancelled"]);
    expect(await h.count(OUTBOX_TABLE)).toBe(2);
  });

  it("refuses to cancel a confirmed order with 409", async () => {
    const id = await placeOrder();
    const placed = (await h.app.inject(`/orders/${id}/history`)).json().events[0].data;
    await withTransaction(h.pool, (tx) =>
      h.handler.react(
        {
          type: "PaymentProcessed",
          data: {
            metadata: createMetadata({ producer: "payment", cause: placed.metadata }),
            orderId: id,
            paymentId: "pay-1",
            amount: VALID_ORDER_TOTAL,
          },
        },
        tx,
      ),
    );
    const response = await h.app.inject({ method: "POST", url: `/orders/${id}/cancel` });
    expect([response.statusCode, response.json().code]).toEqual([409, "ORDER_ILLEGAL_TRANSITION"]);
    expect((await h.app.inject(`/orders/${id}`)).json()).toMatchObject({ status: "CONFIRMED", version: 2 });
  });
});

describe("the event store", () => {
  it("lets only one of two writers append from the same version", async () => {
    const id = await placeOrder();
    const placed = (await h.app.inject(`/orders/${id}/history`)).json().events[0].data;
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
    await placeOrder();
    await expect(h.pool.query("UPDATE order_events SET event_type = 'X'")).rejects.toThrow(/append-only/);
    await expect(h.pool.query("DELETE FROM order_events")).rejects.toThrow(/append-only/);
    expect(await h.count("order_events")).toBe(1);
  });

  it("keeps a customer's cancel and a payment result racing on one order consistent", async () => {
    const id = await placeOrder();
    const placed = (await h.app.inject(`/orders/${id}/history`)).json().events[0].data;
    const payment = withTransaction(h.pool, (tx) =>
      h.handler.react(
        {
          type: "PaymentProcessed",
          data: {
            metadata: createMetadata({ producer: "payment", cause: placed.metadata }),
            orderId: id,
            paymentId: "pay-1",
            amount: VALID_ORDER_TOTAL,
          },
        },
        tx,
      ),
    ).catch((error: { code?: string }) => error.code);
    const cancel = h.app.inject({ method: "POST", url: `/orders/${id}/cancel` });
    const [paid, cancelled] = await Promise.all([payment, cancel]);
    const events = (await h.app.inject(`/orders/${id}/history`))
      .json()
      .events.map((e: { type: string }) => e.type);
    // Whoever appended second saw the other's event (or lost the race and was told to retry).
    expect(events).toHaveLength(2);
    if (events[1] === "OrderCancelled") expect(cancelled.statusCode).toBe(200);
    else {
      expect(events[1]).toBe("OrderConfirmed");
      expect(cancelled.statusCode).toBe(409);
      expect(paid).not.toBe("ORDER_CONCURRENCY_CONFLICT");
    }
  });
});
