import { issueDevelopmentToken } from "@herald/service-kit";
import { describe, expect, it } from "vitest";
import {
  CUSTOMER,
  harnessPerTest,
  nothingWritten,
  placeOrder,
  postOrder,
  requestsAs,
  stranger,
  validOrder,
} from "../testing/harness.js";

/** Who may place, read and cancel an order: a customer their own, support anyone's. */

const h = harnessPerTest({ poolSize: 12 });

describe("who may place, read and cancel an order", () => {
  it("answers 401 to every order route without a token, and writes nothing", async () => {
    const id = await placeOrder(h);
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
    const id = await placeOrder(h);
    const other = await stranger(h);
    for (const response of [
      await other(`/orders/${id}`),
      await other(`/orders/${id}/history`),
      await other({ method: "POST", url: `/orders/${id}/cancel` }),
    ])
      expect([response.statusCode, response.json().code]).toEqual([403, "AUTH_FORBIDDEN"]);
    expect((await h.customer(`/orders/${id}`)).json()).toMatchObject({ status: "PLACED", version: 1 });
  });

  it("lets support read and cancel a customer's order", async () => {
    const id = await placeOrder(h);
    expect((await h.support(`/orders/${id}`)).json().customerId).toBe(CUSTOMER.id);
    const cancelled = await h.support({ method: "POST", url: `/orders/${id}/cancel` });
    expect(cancelled.json()).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
  });

  it("takes the customer and the email from the token when the body leaves them out", async () => {
    const { customerId: _id, customerEmail: _email, ...order } = validOrder();
    const response = await postOrder(h, order);
    expect(response.statusCode).toBe(202);
    expect((await h.customer(`/orders/${response.json().orderId}`)).json()).toMatchObject({
      customerId: CUSTOMER.id,
      customerEmail: CUSTOMER.email,
    });
  });

  it("refuses an order for another customer, to an address the token did not verify, or with no verified email", async () => {
    const forOther = await postOrder(h, { ...validOrder(), customerId: "cust-43" });
    const toStranger = await postOrder(h, { ...validOrder(), customerEmail: "victim@example.org" });
    const noEmail = await (await requestsAs(h, issueWithoutEmail()))({
      method: "POST",
      url: "/orders",
      payload: { ...validOrder(), customerId: "cust-77" },
    });
    for (const response of [forOther, toStranger, noEmail])
      expect([response.statusCode, response.json().code]).toEqual([403, "ORDER_FORBIDDEN"]);
    await nothingWritten(h);
  });

  it("lets staff place an order for a customer they name", async () => {
    const { customerId: _id, ...unnamed } = validOrder();
    expect((await h.support({ method: "POST", url: "/orders", payload: unnamed })).statusCode).toBe(400);
    const named = await h.support({ method: "POST", url: "/orders", payload: validOrder() });
    expect(named.statusCode).toBe(202);
  });

  it("keeps one customer's Idempotency-Key apart from another's", async () => {
    const mine = await postOrder(h, validOrder(), { "idempotency-key": "shared-key" });
    const theirs = await (await stranger(h))({
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
    const id = await placeOrder(h);
    const history = await h.customer(`/orders/${id}/history`);
    expect(history.body).not.toContain("tok_visa");
    expect(history.json().events[0].data.paymentMethodToken).toBe("[redacted]");
    const { rows } = await h.pool.query("SELECT data::text AS payload FROM order_events");
    expect(rows[0].payload).toContain("tok_visa");
  });
});

/** A valid customer token with no email claim. */
const issueWithoutEmail = () => issueDevelopmentToken({ subject: "cust-77", expiresIn: "1h" });
