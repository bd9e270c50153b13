import { randomUUID } from "node:crypto";
import { startSystem, testInfra } from "@herald/dev-stack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, eventually, orderRequest } from "./client.js";

const infra = testInfra();
let client: Client;

beforeAll(async () => {
  client = await createClient(await startSystem(infra));
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M", "HRL-NOTEBOOK-A5"]);
});

/** The mails MailDev holds for `recipient`, once there are `count` of them. */
const mails = (recipient: string, count: number) =>
  eventually(async () => {
    const found = await client.mailsTo(infra.mailApiUrl, recipient);
    return found.length >= count ? found : undefined;
  });

describe("the order saga across every service, each a separate process", () => {
  it("confirms a paid order: one charge, stock sold, a confirmation mail, every fact on the timeline", async () => {
    const email = `happy-${randomUUID()}@example.com`;
    const placed = await client.place(orderRequest({ email }));
    expect(placed.status).toBe(202);
    const order = await client.settled(placed.body.orderId);
    expect(order.status).toBe("CONFIRMED");

    const payments = await client.payments(order.orderId);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      status: "PROCESSED",
      attempts: 1,
      amount: { amountMinor: 2 * 1290 + 2490 },
    });
    // Inventory sells the held units when it reads OrderConfirmed, after the order's status changed.
    await client.reservationIn(order.orderId, "SOLD");

    const [mail] = await mails(email, 1);
    expect(mail?.subject).toMatch(/confirm/i);
    const sent = await eventually(async () => {
      const emails = await client.emails(order.orderId);
      return emails.some((e) => e.status === "SENT") ? emails : undefined;
    });
    expect(sent).toMatchObject([{ template: "ORDER_CONFIRMED", recipient: email, status: "SENT" }]);

    const timeline = await eventually(async () => {
      const { status, body } = await client.timeline(order.orderId);
      const producers = new Set(body?.facts?.map((fact) => fact.producer));
      return status === 200 && ["order", "inventory", "payment", "email"].every((p) => producers.has(p))
        ? body.facts
        : undefined;
    });
    expect(timeline.map((fact) => fact.type)).toEqual(
      expect.arrayContaining([
        "OrderPlaced",
        "InventoryReserved",
        "PaymentProcessed",
        "OrderConfirmed",
        "EmailSent",
      ]),
    );
  });

  it("cancels a declined payment and gives the stock back", async () => {
    const email = `declined-${randomUUID()}@example.com`;
    const placed = await client.place(orderRequest({ email, token: "tok_declined" }));
    const order = await client.settled(placed.body.orderId);
    expect(order).toMatchObject({ status: "CANCELLED", cancellation: { reason: "PAYMENT_FAILED" } });
    expect(await client.payments(order.orderId)).toMatchObject([{ status: "FAILED" }]);
    await client.reservationIn(order.orderId, "RELEASED");
    const [mail] = await mails(email, 1);
    expect(mail?.subject).toMatch(/cancel/i);
  });

  it("cancels an order for more than is on the shelf, naming the short SKU, without charging", async () => {
    const sku = "HRL-POSTER-A2";
    const level = await client.stock(sku);
    const email = `short-${randomUUID()}@example.com`;
    const placed = await client.place(
      orderRequest({ email, items: [{ sku, quantity: Math.min(1000, level.available + 1) }] }),
    );
    if (level.available + 1 > 1000)
      throw new Error(`${sku} has too much stock for this test: ${level.available}`);
    const order = await client.settled(placed.body.orderId);
    expect(order).toMatchObject({ status: "CANCELLED", cancellation: { reason: "OUT_OF_STOCK" } });
    expect(await client.payments(order.orderId)).toEqual([]);
    expect((await client.stock(sku)).available).toBe(level.available);
    const [mail] = await mails(email, 1);
    expect(JSON.stringify(mail)).toContain(sku);
  });

  it("retries a transient gateway error: confirmed with one charge after two attempts", async () => {
    const placed = await client.place(orderRequest({ token: "tok_gateway_error" }));
    const order = await client.settled(placed.body.orderId);
    expect(order.status).toBe("CONFIRMED");
    expect(await client.payments(order.orderId)).toMatchObject([{ status: "PROCESSED", attempts: 2 }]);
  });

  it("refunds and restocks when the customer cancels a confirmed order", async () => {
    const email = `refund-${randomUUID()}@example.com`;
    const sku = "HRL-NOTEBOOK-A5";
    const placed = await client.place(orderRequest({ email, items: [{ sku, quantity: 3 }] }));
    const confirmed = await client.settled(placed.body.orderId);
    expect(confirmed.status).toBe("CONFIRMED");
    // The shelf is counted once the units have left it: Inventory sells them after the order confirms.
    await client.reservationIn(confirmed.orderId, "SOLD");
    const sold = await client.stock(sku);

    const cancelled = await client.cancel(confirmed.orderId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
    const [payment] = await eventually(async () => {
      const payments = await client.payments(confirmed.orderId);
      return payments[0]?.refund?.status === "REFUNDED" ? payments : undefined;
    });
    expect(payment).toMatchObject({ status: "REFUNDED", refund: { status: "REFUNDED" } });
    await client.reservationIn(confirmed.orderId, "RESTOCKED");
    expect((await client.stock(sku)).onHand).toBe(sold.onHand + 3);
    const sent = await mails(email, 2);
    expect(JSON.stringify(sent)).toMatch(/refund/i);
    // Cancelling again changes nothing.
    expect((await client.cancel(confirmed.orderId)).body).toMatchObject({ status: "CANCELLED" });
    expect(await client.payments(confirmed.orderId)).toHaveLength(1);
  });

  it("answers a retried POST with the first answer and places one order", async () => {
    const key = randomUUID();
    const body = orderRequest();
    const first = await client.place(body, key);
    const again = await client.place(body, key);
    expect(again).toEqual(first);
    const order = await client.settled(first.body.orderId);
    expect(order.status).toBe("CONFIRMED");
    expect(await client.payments(order.orderId)).toHaveLength(1);
  });
});
