import { randomUUID } from "node:crypto";
import { type Inject, injectAs, testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderLine, orderPlaced } from "../testing/harness.js";

let h: Harness;
let operator: Inject;
let support: Inject;
let customer: Inject;

beforeAll(async () => {
  h = await createHarness();
  operator = injectAs(h.app, await testTokens.staff("operator"));
  support = injectAs(h.app, await testTokens.staff("support"));
  customer = injectAs(h.app, await testTokens.customer("cust-42"));
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.setStock("HRL-MUG-BLUE", 100);
});

/** The level's ETag, as an operator about to correct it reads it. */
const etag = async (sku: string) => (await h.app.inject(`/stock/${sku}`)).headers.etag as string;

/** PUT as the operator, with If-Match from a fresh read unless the test gives its own headers. */
const put = async (sku: string, payload: unknown, headers?: Record<string, string>) =>
  operator({
    method: "PUT",
    url: `/stock/${sku}`,
    headers: headers ?? { "if-match": await etag(sku) },
    payload: payload as object,
  });

const adjust = (sku: string, payload: unknown, as: Inject = operator) =>
  as({ method: "POST", url: `/stock/${sku}/adjustments`, payload: payload as object });

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
    expect(response.headers.etag).toBe(`"${response.json().version}"`);
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

describe("who may change stock", () => {
  it.each([
    ["no token", (r: Parameters<Inject>[0]) => h.app.inject(r), 401, "AUTH_REQUIRED"],
    ["a customer's token", (r: Parameters<Inject>[0]) => customer(r), 403, "AUTH_FORBIDDEN"],
    ["a support token", (r: Parameters<Inject>[0]) => support(r), 403, "AUTH_FORBIDDEN"],
  ])(
    "answers %s with %i and writes nothing, before it looks at the body",
    async (_name, send, status, code) => {
      const before = await snapshot("HRL-MUG-BLUE");
      const tag = await etag("HRL-MUG-BLUE");
      for (const request of [
        {
          method: "PUT" as const,
          url: "/stock/HRL-MUG-BLUE",
          headers: { "if-match": tag },
          payload: { onHand: 1 },
        },
        { method: "PUT" as const, url: "/stock/HRL-MUG-BLUE", payload: { onHand: -1 } },
        { method: "POST" as const, url: "/stock/HRL-MUG-BLUE/adjustments", payload: { delta: 5 } },
      ]) {
        const response = await send(request);
        expect([response.statusCode, response.json().code]).toEqual([status, code]);
      }
      expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
    },
  );
});

describe("PUT /stock/:sku", () => {
  it("sets on hand with the operator's token and the level's ETag, and answers the new ETag", async () => {
    const before = await h.app.inject("/stock/HRL-MUG-BLUE");
    const response = await put(
      "HRL-MUG-BLUE",
      { onHand: 250 },
      { "if-match": before.headers.etag as string },
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ sku: "HRL-MUG-BLUE", onHand: 250, reserved: 0, available: 250 });
    expect(response.json().version).toBeGreaterThan(before.json().version);
    expect(response.headers.etag).toBe(`"${response.json().version}"`);
    expect(await h.stock("HRL-MUG-BLUE")).toEqual({ onHand: 250, reserved: 0 });
  });

  it("answers 412 when the level changed since it was read (a sale), and keeps what changed", async () => {
    const stale = await etag("HRL-MUG-BLUE");
    // The saga moves the row after the operator's read: a reservation is placed.
    await h.handle(orderPlaced(randomUUID(), [orderLine("HRL-MUG-BLUE", 4)]));
    const before = await snapshot("HRL-MUG-BLUE");
    const response = await put("HRL-MUG-BLUE", { onHand: 100 }, { "if-match": stale });
    expect([response.statusCode, response.json().code]).toEqual([412, "INVENTORY_STALE_STOCK"]);
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
  });

  it("answers 428 without If-Match, and 412 for one that names no version", async () => {
    const before = await snapshot("HRL-MUG-BLUE");
    const bare = await put("HRL-MUG-BLUE", { onHand: 3 }, {});
    expect([bare.statusCode, bare.json().code]).toEqual([428, "INVENTORY_PRECONDITION_REQUIRED"]);
    const star = await put("HRL-MUG-BLUE", { onHand: 3 }, { "if-match": "*" });
    expect(star.statusCode).toBe(412);
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
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
    const ifMatch = { "if-match": await etag("HRL-MUG-BLUE") };
    const notJson = await operator({
      method: "PUT",
      url: "/stock/HRL-MUG-BLUE",
      headers: { ...ifMatch, "content-type": "application/json" },
      payload: "{onHand: 3",
    });
    expect(notJson.statusCode).toBe(400);
    for (const type of ["application/xml", "text/plain"]) {
      const other = await operator({
        method: "PUT",
        url: "/stock/HRL-MUG-BLUE",
        headers: { ...ifMatch, "content-type": type },
        payload: '{"onHand": 3}',
      });
      expect(other.statusCode).toBe(415);
    }
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
      details: [{ path: "body/onHand", message: "would leave 29 on hand, below the 30 units reserved" }],
    });
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
    const exact = await put("HRL-MUG-BLUE", { onHand: 30 });
    expect(exact.statusCode).toBe(200);
    expect(exact.json()).toMatchObject({ onHand: 30, reserved: 30, available: 0 });
  });

  it("answers 404 for an unknown SKU and creates nothing", async () => {
    const count = await h.count("stock");
    const response = await put("HRL-NOPE", { onHand: 5 }, { "if-match": '"1"' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "INVENTORY_UNKNOWN_SKU" });
    expect(await h.count("stock")).toBe(count);
  });
});

describe("POST /stock/:sku/adjustments", () => {
  it("adds a delivery to what is on hand, whatever the saga did since, and takes a write-off away", async () => {
    await h.handle(orderPlaced(randomUUID(), [orderLine("HRL-MUG-BLUE", 10)]));
    const delivered = await adjust("HRL-MUG-BLUE", { delta: 25 });
    expect(delivered.statusCode).toBe(200);
    expect(delivered.json()).toMatchObject({ onHand: 125, reserved: 10, available: 115 });
    expect(delivered.headers.etag).toBe(`"${delivered.json().version}"`);
    const writtenOff = await adjust("HRL-MUG-BLUE", { delta: -5 });
    expect(writtenOff.json()).toMatchObject({ onHand: 120, reserved: 10 });
    expect(await h.stock("HRL-MUG-BLUE")).toEqual({ onHand: 120, reserved: 10 });
  });

  it("loses no delivery when many land at once", async () => {
    await Promise.all(Array.from({ length: 20 }, () => adjust("HRL-MUG-BLUE", { delta: 3 })));
    expect(await h.stock("HRL-MUG-BLUE")).toEqual({ onHand: 160, reserved: 0 });
  });

  it("answers 409 below what is reserved, 422 past the most a shelf holds, 404 for an unknown SKU, 400 for 0", async () => {
    await h.handle(orderPlaced(randomUUID(), [orderLine("HRL-MUG-BLUE", 30)]));
    const before = await snapshot("HRL-MUG-BLUE");
    const below = await adjust("HRL-MUG-BLUE", { delta: -71 });
    expect([below.statusCode, below.json().code]).toEqual([409, "INVENTORY_BELOW_RESERVED"]);
    const above = await adjust("HRL-MUG-BLUE", { delta: 1_000_000_000 });
    expect([above.statusCode, above.json().code]).toEqual([422, "INVENTORY_TOO_MUCH_STOCK"]);
    expect((await adjust("HRL-NOPE", { delta: 1 })).statusCode).toBe(404);
    const zero = await adjust("HRL-MUG-BLUE", { delta: 0 });
    expect([zero.statusCode, zero.json().details[0].path]).toEqual([400, "body/delta"]);
    expect(await snapshot("HRL-MUG-BLUE")).toEqual(before);
  });
});

describe("GET /reservations", () => {
  it("shows an order's reservation", async () => {
    const orderId = randomUUID();
    await h.handle(orderPlaced(orderId, [orderLine("HRL-MUG-BLUE", 2)]));
    const response = await support(`/reservations?orderId=${orderId}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toMatchObject([
      { orderId, status: "RESERVED", lines: [{ sku: "HRL-MUG-BLUE", quantity: 2 }], shortages: [] },
    ]);
  });

  it("answers an empty list for an order it does not know", async () => {
    const response = await support(`/reservations?orderId=${randomUUID()}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [] });
  });

  it.each([
    ["a malformed id", "/reservations?orderId=not-a-uuid", "querystring/orderId"],
    ["no id", "/reservations", "querystring/orderId"],
    ["an unknown parameter", `/reservations?orderId=${randomUUID()}&status=SOLD`, "querystring/status"],
  ])("answers 400 for %s", async (_name, url, path) => {
    const response = await support(url);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(response.json().details.map((d: { path: string }) => d.path)).toContain(path);
  });
});

describe("who may read reservations", () => {
  it("answers 401 without a token and 403 to a customer: reservations are staff's view of an order", async () => {
    const url = `/reservations?orderId=${randomUUID()}`;
    expect((await h.app.inject(url)).statusCode).toBe(401);
    expect((await customer(url)).statusCode).toBe(403);
  });
});

describe("the OpenAPI document", () => {
  it("describes every route with its responses", async () => {
    const document = (await h.app.inject("/docs/json")).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/stock", "/stock/{sku}", "/stock/{sku}/adjustments", "/reservations"]),
    );
    expect(Object.keys(document.paths["/stock/{sku}"].put.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "403", "404", "409", "412", "428"]),
    );
    expect(document.paths["/stock/{sku}"].put.security).toEqual([{ bearer: [] }]);
    expect(document.paths["/stock/{sku}"].get.security).toBeUndefined();
  });
});
