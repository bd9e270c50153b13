import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createHarness, type Harness, orderLine, orderPlaced } from "../testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.setStock("HRL-MUG-BLUE", 100);
});

const put = (sku: string, payload: unknown, authorization: string | null = `Bearer ${ADMIN_TOKEN}`) =>
  h.app.inject({
    method: "PUT",
    url: `/stock/${sku}`,
    headers: authorization === null ? {} : { authorization },
    payload: payload as object,
  });

/** The row as stored, timestamp included, so "nothing written" means nothing at all. */
const snapshot = async (sku: string) =>
  (await h.pool.query("SELECT * FROM stock WHERE sku = $1", [sku])).rows[0] as unknown;

describe("GET /stock", () => {
  it("lists every SKU the order catalog sells, with the seeded quantities", async () => {
    const response = await h.app.inject("/stock");
    expect(response.statusCode).toBe(200);
    const bySku = Object.fromEntries(
      response.json().items.map((item: { sku: string; onHand: number }) => [item.sku, item.onHand]),
    );
    expect(bySku).toEqual({
      "HRL-HOODIE-GREY-L": 25,
      "HRL-MUG-BLUE": 100,
      "HRL-NOTEBOOK-A5": 200,
      "HRL-POSTER-A2": 40,
      "HRL-STICKER-PACK": 500,
      "HRL-TEE-BLACK-M": 50,
    });
  });

  it("shows one SKU with on hand, reserved and available", async () => {
    await h.handle(orderPlaced(randomUUID(), [orderLine("HRL-MUG-BLUE", 7)]));
    const response = await h.app.inject("/stock/HRL-MUG-BLUE");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ sku: "HRL-MUG-BLUE", onHand: 100, reserved: 7, available: 93 });
    expect(Date.parse(response.json().updatedAt)).not.toBeNaN();
  });

  it("answers 404 for an unknown SKU and 400 for one that cannot be a SKU", async () => {
    const unknown = await h.app.inject("/stock/HRL-NOPE");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      code: "INVENTORY_UNKNOWN_SKU",
      message: "no stock is kept for SKU HRL-NOPE",
    });
    const bad = await h.app.inject(`/stock/${encodeURIComponent("-drop table")}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "VALIDATION_FAILED", details: [{ path: "params/sku" }] });
    expect((await h.app.inject(`/stock/${"A".repeat(65)}`)).statusCode).toBe(400);
  });
});

describe("PUT /stock/:sku", () => {
  it("sets on hand with the admin token", async () => {
    const response = await put("HRL-MUG-BLUE", { onHand: 250 });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ sku: "HRL-MUG-BLUE", onHand: 250, reserved: 0, available: 250 });
    expect(await h.stock("HRL-MUG-BLUE")).toEqual({ onHand: 250, reserved: 0 });
    expect(response.headers["www-authenticate"]).toBeUndefined();
  });

  it.each([
    ["no header", null, /Authorization: Bearer/],
    ["a wrong token", "Bearer not-the-admin-token-at-all", /not valid/],
    ["the token with one character less", `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, /not valid/],
    ["the token as Basic credentials", `Basic ${ADMIN_TOKEN}`, /Authorization: Bearer/],
    ["an empty bearer", "Bearer ", /Authorization: Bearer/],
    ["the bare token", ADMIN_TOKEN, /Authorization: Bearer/],
  ])("answers 401 for %s and writes nothing", async (_name, authorization, message) => {
    const before = await snapshot("HRL-MUG-BLUE");
    const response = await put("HRL-MUG-BLUE", { onHand: 1 }, authorization);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "INVENTORY_UNAUTHORIZED" });
    expect(response.json().message).toMatch(message);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="herald-inventory"');
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
  });

  it("checks the token before it looks at the body", async () => {
    const response = await put("HRL-MUG-BLUE", { onHand: -1 }, "Bearer wrong-token-wrong-token");
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ["a negative count", { onHand: -1 }, "body/onHand", "must be >= 0"],
    ["a fraction", { onHand: 2.5 }, "body/onHand", "must be integer"],
    ["an absurd count", { onHand: 1_000_000_001 }, "body/onHand", "must be <= 1000000000"],
    ["a string", { onHand: "12" }, "body/onHand", "must be integer"],
    ["null", { onHand: null }, "body/onHand", "must be integer"],
    ["no count", {}, "body/onHand", "is required"],
    ["an extra field", { onHand: 3, reserved: 0 }, "body/reserved", "is not allowed"],
  ])("answers 400 for %s, naming the field, and writes nothing", async (_name, payload, path, message) => {
    const before = await snapshot("HRL-MUG-BLUE");
    const response = await put("HRL-MUG-BLUE", payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(response.json().details).toContainEqual({ path, message });
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
  });

  it("answers 400 for a body that is not JSON, 415 for another media type, 413 for a huge body", async () => {
    const before = await snapshot("HRL-MUG-BLUE");
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const notJson = await h.app.inject({
      method: "PUT",
      url: "/stock/HRL-MUG-BLUE",
      headers: { ...auth, "content-type": "application/json" },
      payload: "{onHand: 3",
    });
    expect(notJson.statusCode).toBe(400);
    const text = await h.app.inject({
      method: "PUT",
      url: "/stock/HRL-MUG-BLUE",
      headers: { ...auth, "content-type": "application/xml" },
      payload: "<onHand>3</onHand>",
    });
    expect(text.statusCode).toBe(415);
    const huge = await put("HRL-MUG-BLUE", { onHand: 3, pad: "x".repeat(4096) });
    expect(huge.statusCode).toBe(413);
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
  });

  it("answers 409 below what is reserved, and accepts exactly the reserved units", async () => {
    await h.handle(orderPlaced(randomUUID(), [orderLine("HRL-MUG-BLUE", 30)]));
    const before = await snapshot("HRL-MUG-BLUE");
    const below = await put("HRL-MUG-BLUE", { onHand: 29 });
    expect(below.statusCode).toBe(409);
    expect(below.json()).toMatchObject({
      code: "INVENTORY_BELOW_RESERVED",
      details: [{ path: "body/onHand", message: "must be at least 30, the units reserved" }],
    });
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
    const exact = await put("HRL-MUG-BLUE", { onHand: 30 });
    expect(exact.statusCode).toBe(200);
    expect(exact.json()).toMatchObject({ onHand: 30, reserved: 30, available: 0 });
  });

  it("answers 404 for an unknown SKU and creates nothing", async () => {
    const count = await h.count("stock");
    const response = await put("HRL-NOPE", { onHand: 5 });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "INVENTORY_UNKNOWN_SKU" });
    expect(await h.count("stock")).toBe(count);
  });
});

describe("GET /reservations", () => {
  it("shows an order's reservation", async () => {
    const orderId = randomUUID();
    await h.handle(orderPlaced(orderId, [orderLine("HRL-MUG-BLUE", 2)]));
    const response = await h.app.inject(`/reservations?orderId=${orderId}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toMatchObject([
      { orderId, status: "RESERVED", lines: [{ sku: "HRL-MUG-BLUE", quantity: 2 }], shortages: [] },
    ]);
  });

  it("answers an empty list for an order it does not know", async () => {
    const response = await h.app.inject(`/reservations?orderId=${randomUUID()}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [] });
  });

  it.each([
    ["a malformed id", "/reservations?orderId=not-a-uuid", "querystring/orderId"],
    ["no id", "/reservations", "querystring/orderId"],
    ["an unknown parameter", `/reservations?orderId=${randomUUID()}&status=SOLD`, "querystring/status"],
  ])("answers 400 for %s", async (_name, url, path) => {
    const response = await h.app.inject(url);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(response.json().details.map((d: { path: string }) => d.path)).toContain(path);
  });
});

describe("the OpenAPI document", () => {
  it("describes every route with its responses", async () => {
    const document = (await h.app.inject("/docs/json")).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/stock", "/stock/{sku}", "/reservations"]),
    );
    expect(Object.keys(document.paths["/stock/{sku}"].put.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "404", "409"]),
    );
  });
});
