import { randomUUID } from "node:crypto";
import { waitFor } from "@herald/dev-stack/testing";
import { testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderEvents, TOTAL } from "../testing/harness.js";

let h: Harness;
let orderId: string;
let paymentId: string;

beforeAll(async () => {
  h = await createHarness();
  orderId = randomUUID();
  const order = orderEvents(orderId, "tok_gateway_error");
  await h.deliver(order.placed());
  await h.deliver(order.reserved());
  const worker = h.worker();
  worker.start();
  await waitFor(
    "the payment to be PROCESSED",
    async () => (await paymentsOf(orderId))[0]?.status === "PROCESSED",
  );
  await worker.stop();
  paymentId = (await paymentsOf(orderId))[0].paymentId;
});
afterAll(async () => {
  await h.close();
});

async function paymentsOf(id: string) {
  const response = await h.support(`/payments?orderId=${id}`);
  expect(response.statusCode).toBe(200);
  return response.json().payments;
}

describe("who may read payments", () => {
  it("answers 401 without a token and 403 to a customer; payments are staff's view of an order", async () => {
    for (const url of [`/payments?orderId=${orderId}`, `/payments/${paymentId}`]) {
      expect((await h.app.inject(url)).statusCode).toBe(401);
      const customer = await h.app.inject({
        url,
        headers: { authorization: `Bearer ${await testTokens.customer("cust-42")}` },
      });
      expect([customer.statusCode, customer.json().code]).toEqual([403, "AUTH_FORBIDDEN"]);
    }
  });

  it("never shows the payment token", async () => {
    const listed = await h.support(`/payments?orderId=${orderId}`);
    expect(listed.body).not.toMatch(/tok_/);
    expect((await h.support(`/payments/${paymentId}`)).body).not.toMatch(/tok_/);
  });
});

describe("GET /payments?orderId=", () => {
  it("lists the order's payment with status, amount, attempts and refund", async () => {
    const response = await h.support(`/payments?orderId=${orderId}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      orderId,
      payments: [
        {
          paymentId,
          orderId,
          status: "PROCESSED",
          amount: TOTAL,
          attempts: 2,
          failure: null,
          refund: null,
          requestedAt: expect.any(String),
          settledAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      ],
    });
  });

  it("answers an empty list for an order without a payment", async () => {
    const unknown = randomUUID();
    expect((await h.support(`/payments?orderId=${unknown}`)).json()).toEqual({
      orderId: unknown,
      payments: [],
    });
  });
});

describe("GET /payments/:id", () => {
  it("returns the payment", async () => {
    const response = await h.support(`/payments/${paymentId}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ paymentId, orderId, status: "PROCESSED", attempts: 2 });
  });

  it("answers 404 for an unknown payment", async () => {
    const response = await h.support(`/payments/${randomUUID()}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "PAYMENT_NOT_FOUND" });
  });
});

describe("bad input", () => {
  it.each([
    ["/payments", "orderId"],
    ["/payments?orderId=", "orderId"],
    ["/payments?orderId=not-a-uuid", "orderId"],
    [`/payments?orderId=${randomUUID()}&status=PROCESSED`, "status"],
    ["/payments/not-a-uuid", "id"],
    ["/payments/12345678-1234-1234-1234-1234567890123", "id"],
  ])("GET %s → 400 naming %s, and writes nothing", async (url, field) => {
    const before = await snapshot();
    const response = await h.support(url);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(body.details)).toContain(field);
    expect(await snapshot()).toEqual(before);
  });

  it.each(["POST", "PUT", "DELETE"] as const)(
    "%s /payments/:id is not a route (404), and writes nothing",
    async (method) => {
      const before = await snapshot();
      const response = await h.support({ method, url: `/payments/${paymentId}`, payload: {} });
      expect(response.statusCode).toBe(404);
      expect(await snapshot()).toEqual(before);
    },
  );

  async function snapshot() {
    return Promise.all(
      ["order_payments", "outbox", "gateway_simulator_ledger", "inbox"].map((table) => h.count(table)),
    );
  }
});
