import { createMetadata, type Metadata } from "@herald/events";
import { issueDevelopmentToken, withTransaction } from "@herald/service-kit";
import { injectAs, testTokens } from "@herald/service-kit/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BODY_LIMIT } from "../service.js";
import { CUSTOMER, createHarness, type Harness, VALID_ORDER_TOTAL, validOrder } from "../testing/harness.js";
import type { OrderEvent, SagaEvent } from "./domain.js";
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
  h.customer({ method: "POST", url: "/orders", payload: payload as object, headers });

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

/** Confirms the order as the payment service's PaymentProcessed would. */
async function confirm(id: string): Promise<void> {
  const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
  await withTransaction(h.pool, (tx) => h.handler.react(paymentProcessed(id, placed.metadata), tx));
}

const paymentProcessed = (orderId: string, cause: Metadata): SagaEvent => ({
  type: "PaymentProcessed",
  data: {
    metadata: createMetadata({ producer: "payment", cause }),
    orderId,
    paymentId: "pay-1",
    amount: VALID_ORDER_TOTAL,
  },
});

/** When the database recorded the given version of the order's stream. */
async function recordedAt(id: string, version: number): Promise<Date> {
  const events = (await h.customer(`/orders/${id}/history`)).json().events;
  return new Date(events[version - 1].recordedAt);
}

/** Waits until the database's clock is past `at` at millisecond resolution (the API's). */
async function databaseClockPasses(at: Date): Promise<void> {
  for (;;) {
    const { rows } = await h.pool.query<{ passed: boolean }>(
      "SELECT clock_timestamp() >= $1::timestamptz + interval '1 millisecond' AS passed",
      [at],
    );
    if (rows[0]!.passed) return;
  }
}

const asOf = (id: string, at: Date) =>
  h.customer(`/orders/${id}?asOf=${encodeURIComponent(at.toISOString())}`);

const withAddress = (fields: Record<string, unknown>) => ({
  ...validOrder(),
  shippingAddress: { ...validOrder().shippingAddress, ...fields },
});

/** Text Postgres or Avro cannot hold, or that says nothing: every string field refuses it. */
function unsafeStrings(): [string, unknown, number, string, RegExp][] {
  const refused = (
    label: string,
    payload: unknown,
    path: string,
  ): [string, unknown, number, string, RegExp] => [
    label,
    payload,
    400,
    "VALIDATION_FAILED",
    new RegExp(`^body/${path} must`),
  ];
  return [
    refused("a NUL in customerId", { ...validOrder(), customerId: "cust\u000042" }, "customerId"),
    refused("a lone surrogate in customerId", { ...validOrder(), customerId: "cust-\ud800" }, "customerId"),
    refused("a whitespace-only customerId", { ...validOrder(), customerId: " \t\u00a0 " }, "customerId"),
    refused("a whitespace-only city", withAddress({ city: "   " }), "shippingAddress/city"),
    refused(
      "a NUL in the recipient's name",
      withAddress({ recipientName: "Ada\u0000" }),
      "shippingAddress/recipientName",
    ),
    refused("a low surrogate alone in line1", withAddress({ line1: "\udc00 Row" }), "shippingAddress/line1"),
    refused("a newline in line2", withAddress({ line2: "Flat 3\nFloor 2" }), "shippingAddress/line2"),
    refused(
      "a C1 control in the postal code",
      withAddress({ postalCode: "N1\u0085" }),
      "shippingAddress/postalCode",
    ),
    refused("a lone surrogate in the region", withAddress({ region: "\ud83d" }), "shippingAddress/region"),
    refused("a blank region", withAddress({ region: " " }), "shippingAddress/region"),
    refused(
      "a NUL in customerEmail",
      { ...validOrder(), customerEmail: "ada\u0000@example.com" },
      "customerEmail",
    ),
    refused(
      "a lone surrogate in a SKU",
      { ...validOrder(), items: [{ sku: "HRL-\ud800", quantity: 1 }] },
      "items/0/sku",
    ),
    refused(
      "a NUL in the payment token",
      { ...validOrder(), paymentMethodToken: "tok_visa\u0000" },
      "paymentMethodToken",
    ),
  ];
}

describe("POST /orders", () => {
  it("places an order priced from the catalog: 202, Location, event, outbox row and view", async () => {
    const response = await post(validOrder());
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ orderId: expect.any(String), status: "PLACED", total: VALID_ORDER_TOTAL });
    expect(response.headers.location).toBe(`/orders/${body.orderId}`);

    const view = (await h.customer(`/orders/${body.orderId}`)).json();
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
    const history = (await h.customer(`/orders/${body.orderId}/history`)).json();
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
      missing("shippingAddress"),
      400,
      "VALIDATION_FAILED",
      /body\/shippingAddress is required/,
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
    ...unsafeStrings(),
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

  it("accepts any other Unicode text, astral characters and joined emoji included", async () => {
    const customer = await as(testTokens.customer("cust-ℵ", "aleph@example.com"));
    const response = await customer({
      method: "POST",
      url: "/orders",
      payload: {
        ...withAddress({ recipientName: "Zoë Ćwikła 👩‍💻", city: "東京", line2: null, region: "𝔄rea" }),
        customerId: "cust-ℵ",
        customerEmail: "aleph@example.com",
      },
    });
    expect(response.statusCode).toBe(202);
    const view = (await customer(`/orders/${response.json().orderId}`)).json();
    expect(view.shippingAddress).toMatchObject({
      recipientName: "Zoë Ćwikła 👩‍💻",
      city: "東京",
      region: "𝔄rea",
    });
  });

  it("refuses non-JSON, unsupported media types and oversized bodies", async () => {
    const notJson = await h.customer({
      method: "POST",
      url: "/orders",
      headers: { "content-type": "application/json" },
      payload: '{"customerId": "cust-42",',
    });
    expect([notJson.statusCode, notJson.json().code]).toEqual([400, "INVALID_JSON"]);
    const form = await h.customer({
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
    const other = await post(
      { ...validOrder(), items: [{ sku: "HRL-MUG-BLUE", quantity: 5 }] },
      { "idempotency-key": "retry-2" },
    );
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
      const response = await h.customer(url);
      expect([response.statusCode, response.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
      expect(response.json().message).toContain(unknown);
    }
    const cancel = await h.customer({ method: "POST", url: `/orders/${unknown}/cancel` });
    expect([cancel.statusCode, cancel.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
    const malformed = await h.customer("/orders/42");
    expect([malformed.statusCode, malformed.json().message]).toEqual([
      400,
      'params/id must match format "uuid"',
    ]);
    const badAsOf = await h.customer(`/orders/${unknown}?asOf=yesterday`);
    expect(badAsOf.statusCode).toBe(400);
    await nothingWritten();
  });

  it("shows the state as of a past moment, by the database's clock", async () => {
    const id = await placeOrder();
    const placedAt = await recordedAt(id, 1);
    await databaseClockPasses(placedAt);
    expect((await h.customer({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);
    const cancelledAt = await recordedAt(id, 2);

    expect((await asOf(id, new Date(placedAt.getTime() - 1))).statusCode).toBe(404);
    expect((await asOf(id, placedAt)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, new Date(cancelledAt.getTime() - 1))).json()).toMatchObject({
      status: "PLACED",
      version: 1,
    });
    expect((await asOf(id, cancelledAt)).json()).toMatchObject({
      status: "CANCELLED",
      version: 2,
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
    expect((await h.customer(`/orders/${id}`)).json()).toEqual(
      (await asOf(id, new Date("2100-01-01T00:00:00Z"))).json(),
    );
  });

  it("folds the prefix recorded by asOf even when the instances' clocks disagree", async () => {
    // The instance that places the order runs an hour fast, the one that cancels it is on time:
    // by occurred_at the cancellation comes first, by the database it comes second.
    h.setNow(new Date(Date.now() + 3_600_000));
    const id = await placeOrder();
    const placedAt = await recordedAt(id, 1);
    await databaseClockPasses(placedAt);
    h.setNow(undefined);
    expect((await h.customer({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);
    const cancelledAt = await recordedAt(id, 2);

    // Still before the placement's occurred_at: filtering by it folded a stream of a lone cancellation (500).
    const after = await asOf(id, new Date(cancelledAt.getTime() + 1_000));
    expect([after.statusCode, after.json()]).toEqual([
      200,
      expect.objectContaining({ status: "CANCELLED", version: 2 }),
    ]);
    const between = await asOf(id, placedAt);
    expect([between.statusCode, between.json()]).toEqual([
      200,
      expect.objectContaining({ status: "PLACED", version: 1 }),
    ]);
    expect((await asOf(id, new Date(placedAt.getTime() - 1))).statusCode).toBe(404);
  });

  it("stops the prefix at the first version recorded after asOf, though a later one was recorded before", async () => {
    // A transaction that began first may append the later version: recorded_at is its start.
    const id = await placeOrder();
    const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
    const next = (type: "OrderConfirmed" | "OrderCancelled"): OrderEvent =>
      ({
        type,
        data: {
          ...placed,
          metadata: createMetadata({ producer: "order", cause: placed.metadata }),
          ...(type === "OrderCancelled" ? { reason: "CUSTOMER_REQUEST", detail: null } : {}),
        },
      }) as OrderEvent;
    const early = await h.pool.connect();
    try {
      await early.query("BEGIN");
      const { rows } = await early.query<{ began: Date }>("SELECT now() AS began");
      await databaseClockPasses(rows[0]!.began);
      await withTransaction(h.pool, (tx) => appendToStream(tx, id, 1, [next("OrderConfirmed")]));
      await appendToStream(early, id, 2, [next("OrderCancelled")]);
      await early.query("COMMIT");
    } finally {
      early.release();
    }
    const [v1, v2, v3] = [await recordedAt(id, 1), await recordedAt(id, 2), await recordedAt(id, 3)];
    expect(v3.getTime()).toBeLessThan(v2.getTime());
    expect((await asOf(id, v3)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, v1)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, v2)).json()).toMatchObject({ status: "CANCELLED", version: 3 });
  });

  it("refuses an asOf that is no real instant with 400", async () => {
    const id = await placeOrder();
    for (const bad of [
      "2016-12-31T23:59:60Z",
      "2016-12-31T23:59:60.5+00:00",
      "2025-02-30T10:00:00Z",
      "2025-13-01T10:00:00Z",
      "2025-03-01T24:00:00Z",
      "2025-03-01",
      "2025-03-01T10:00:00\u0000Z",
    ]) {
      const response = await h.customer(`/orders/${id}?asOf=${encodeURIComponent(bad)}`);
      expect([bad, response.statusCode, response.json().code]).toEqual([bad, 400, expect.any(String)]);
      expect(response.json().message).toMatch(/querystring\/asOf/);
    }
    // The ends of the range are real instants: before the order existed, and its current state.
    expect((await asOf(id, new Date("0000-01-01T00:00:00Z"))).statusCode).toBe(404);
    expect((await asOf(id, new Date("9999-12-31T23:59:59.999Z"))).json()).toMatchObject({ version: 1 });
    expect(await h.count("order_events")).toBe(1);
  });

  it("lists the catalog", async () => {
    const response = await h.customer("/catalog");
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
    expect(await h.count(OUTBOX_TABLE)).toBe(2);
  });

  it("cancels a confirmed order: OrderCancelled(CUSTOMER_REQUEST) after OrderConfirmed, once", async () => {
    const id = await placeOrder();
    await confirm(id);
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
    expect(await h.count(OUTBOX_TABLE)).toBe(3);
  });
});

describe("the event store", () => {
  it("lets only one of two writers append from the same version", async () => {
    const id = await placeOrder();
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
    await placeOrder();
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
    const id = await placeOrder();
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
    const id = await placeOrder();
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

const as = async (token: Promise<string>) => injectAs(h.app, await token);
const stranger = () => as(testTokens.customer("cust-99"));

describe("who may place, read and cancel an order", () => {
  it("answers 401 to every order route without a token, and writes nothing", async () => {
    const id = await placeOrder();
    const anonymous = [
      await h.app.inject({ method: "POST", url: "/orders", payload: validOrder() }),
      await h.app.inject(`/orders/${id}`),
      await h.app.inject(`/orders/${id}/history`),
      await h.app.inject({ method: "POST", url: `/orders/${id}/cancel` }),
    ];
    expect(anonymous.map((r) => [r.statusCode, r.json().code])).toEqual(
      Array(4).fill([401, "AUTH_REQUIRED"]),
    );
    expect(await h.count("order_events")).toBe(1);
    expect((await h.customer(`/orders/${id}`)).json().status).toBe("PLACED");
  });

  it("answers 403 to another customer and leaves the order as it was", async () => {
    const id = await placeOrder();
    const other = await stranger();
    for (const response of [
      await other(`/orders/${id}`),
      await other(`/orders/${id}/history`),
      await other({ method: "POST", url: `/orders/${id}/cancel` }),
    ])
      expect([response.statusCode, response.json().code]).toEqual([403, "AUTH_FORBIDDEN"]);
    expect((await h.customer(`/orders/${id}`)).json()).toMatchObject({ status: "PLACED", version: 1 });
  });

  it("lets support read and cancel a customer's order", async () => {
    const id = await placeOrder();
    expect((await h.support(`/orders/${id}`)).json().customerId).toBe(CUSTOMER.id);
    const cancelled = await h.support({ method: "POST", url: `/orders/${id}/cancel` });
    expect(cancelled.json()).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
  });

  it("takes the customer and the email from the token when the body leaves them out", async () => {
    const { customerId: _id, customerEmail: _email, ...order } = validOrder();
    const response = await post(order);
    expect(response.statusCode).toBe(202);
    expect((await h.customer(`/orders/${response.json().orderId}`)).json()).toMatchObject({
      customerId: CUSTOMER.id,
      customerEmail: CUSTOMER.email,
    });
  });

  it("refuses an order for another customer, to an address the token did not verify, or with no verified email", async () => {
    const forOther = await post({ ...validOrder(), customerId: "cust-43" });
    const toStranger = await post({ ...validOrder(), customerEmail: "victim@example.org" });
    const noEmail = await (await as(issueWithoutEmail()))({
      method: "POST",
      url: "/orders",
      payload: { ...validOrder(), customerId: "cust-77" },
    });
    for (const response of [forOther, toStranger, noEmail])
      expect([response.statusCode, response.json().code]).toEqual([403, "ORDER_FORBIDDEN"]);
    await nothingWritten();
  });

  it("lets staff place an order for a customer they name", async () => {
    const { customerId: _id, ...unnamed } = validOrder();
    expect((await h.support({ method: "POST", url: "/orders", payload: unnamed })).statusCode).toBe(400);
    const named = await h.support({ method: "POST", url: "/orders", payload: validOrder() });
    expect(named.statusCode).toBe(202);
  });

  it("keeps one customer's Idempotency-Key apart from another's", async () => {
    const mine = await post(validOrder(), { "idempotency-key": "shared-key" });
    const theirs = await (await stranger())({
      method: "POST",
      url: "/orders",
      headers: { "idempotency-key": "shared-key" },
      payload: { ...validOrder(), customerId: "cust-99", customerEmail: "cust-99@example.com" },
    });
    expect(theirs.statusCode).toBe(202);
    expect(theirs.headers["idempotent-replayed"]).toBeUndefined();
    expect(theirs.json().orderId).not.toBe(mine.json().orderId);
    expect(await h.count("orders")).toBe(2);
  });

  it("never shows the payment token in the history; the stored event keeps it for the payment service", async () => {
    const id = await placeOrder();
    const history = await h.customer(`/orders/${id}/history`);
    expect(history.body).not.toContain("tok_visa");
    expect(history.json().events[0].data.paymentMethodToken).toBe("[redacted]");
    const { rows } = await h.pool.query("SELECT data::text AS payload FROM order_events");
    expect(rows[0].payload).toContain("tok_visa");
  });
});

describe("placement rate limits", () => {
  it("answers 429 with Retry-After past a customer's orders per minute, and places none of those", async () => {
    await h.close();
    h = await createHarness({ env: { ORDER_RATE_LIMIT_PER_CUSTOMER: "3" } });
    const responses = [];
    for (let i = 0; i < 5; i++) responses.push(await post(validOrder()));
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 429, 429]);
    expect(responses[3]!.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(responses[3]!.headers["retry-after"])).toBeGreaterThan(0);
    expect(await h.count("orders")).toBe(3);
    // Another customer has an allowance of their own.
    const other = await (await stranger())({
      method: "POST",
      url: "/orders",
      payload: { ...validOrder(), customerId: "cust-99", customerEmail: "cust-99@example.com" },
    });
    expect(other.statusCode).toBe(202);
  });

  it("answers 429 past one client address's orders per minute, whoever's token it sends", async () => {
    await h.close();
    h = await createHarness({ env: { ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: "2" } });
    const statuses = [];
    for (const customer of ["cust-a", "cust-b", "cust-c"]) {
      const inject = await as(testTokens.customer(customer));
      const { customerId: _id, customerEmail: _email, ...order } = validOrder();
      statuses.push((await inject({ method: "POST", url: "/orders", payload: order })).statusCode);
    }
    expect(statuses).toEqual([202, 202, 429]);
  });
});

/** A valid customer token with no email claim. */
const issueWithoutEmail = () => issueDevelopmentToken({ subject: "cust-77", expiresIn: "1h" });
