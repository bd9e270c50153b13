import { testTokens } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { BODY_LIMIT } from "../service.js";
import {
  harnessPerTest,
  nothingWritten,
  postOrder,
  requestsAs,
  VALID_ORDER_TOTAL,
  validOrder,
} from "../testing/harness.js";

/** Placing an order: what POST /orders writes, and every input it refuses without writing anything. */

const h = harnessPerTest({ poolSize: 12 });

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
  const inOrder = (label: string, field: string, value: string) =>
    refused(label, { ...validOrder(), [field]: value }, field);
  const inAddress = (label: string, field: string, value: string) =>
    refused(label, withAddress({ [field]: value }), `shippingAddress/${field}`);
  return [
    inOrder("a NUL in customerId", "customerId", "cust\u000042"),
    inOrder("a lone surrogate in customerId", "customerId", "cust-\ud800"),
    inOrder("a whitespace-only customerId", "customerId", " \t\u00a0 "),
    inAddress("a whitespace-only city", "city", "   "),
    inAddress("a NUL in the recipient's name", "recipientName", "Ada\u0000"),
    inAddress("a low surrogate alone in line1", "line1", "\udc00 Row"),
    inAddress("a newline in line2", "line2", "Flat 3\nFloor 2"),
    inAddress("a C1 control in the postal code", "postalCode", "N1\u0085"),
    inAddress("a lone surrogate in the region", "region", "\ud83d"),
    inAddress("a blank region", "region", " "),
    inOrder("a NUL in customerEmail", "customerEmail", "ada\u0000@example.com"),
    refused(
      "a lone surrogate in a SKU",
      { ...validOrder(), items: [{ sku: "HRL-\ud800", quantity: 1 }] },
      "items/0/sku",
    ),
    inOrder("a NUL in the payment token", "paymentMethodToken", "tok_visa\u0000"),
  ];
}

describe("POST /orders", () => {
  it("places an order priced from the catalog: 202, Location, event, outbox row and view", async () => {
    const response = await postOrder(h, validOrder());
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
    expect(await h.count("outbox")).toBe(1);
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
      const response = await postOrder(h, payload, { "idempotency-key": "bad-input-key" });
      expect(response.statusCode).toBe(status);
      const body = response.json();
      expect(body.code).toBe(code);
      expect(body.message).toMatch(message);
      await nothingWritten(h);
    },
  );

  it("accepts any other Unicode text, astral characters and joined emoji included", async () => {
    const customer = await requestsAs(h, testTokens.customer("cust-ℵ", "aleph@example.com"));
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
    const postText = (contentType: string, payload: string) =>
      h.customer({ method: "POST", url: "/orders", headers: { "content-type": contentType }, payload });
    const notJson = await postText("application/json", '{"customerId": "cust-42",');
    expect([notJson.statusCode, notJson.json().code]).toEqual([400, "INVALID_JSON"]);
    const form = await postText("application/x-www-form-urlencoded", "customerId=cust-42");
    expect([form.statusCode, form.json().code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const huge = await postOrder(h, { ...validOrder(), customerId: "x".repeat(BODY_LIMIT) });
    expect([huge.statusCode, huge.json().code]).toEqual([413, "BODY_TOO_LARGE"]);
    await nothingWritten(h);
  });
});
