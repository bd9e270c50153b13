import { randomUUID } from "node:crypto";
import { uniqueName } from "@herald/dev-stack/testing";
import {
  type DomainEvent,
  type EmailSent,
  keyOf,
  type ShippingAddress,
  type TopicName,
  topicOf,
} from "@herald/events";
import { sampleEvent, shippingAddress } from "@herald/events/testing";
import { type ConsumeReport, type Consumer, createConsumer } from "@herald/outbox";
import { testTokens } from "@herald/service-kit/testing";
import type { Admin, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailService } from "../service.js";
import {
  createEmailHarness,
  deleteSinkMailsTo,
  type EmailHarness,
  sinkMailsTo,
  uniqueRecipient,
  waitFor,
} from "../testing/harness.js";
import { messageIdFor } from "./message-id.js";
import { EMAIL_TOPICS } from "./reactions.js";

// The whole path on real parts: events encoded through the registry into Kafka topics of this file's
// own, the service's consumer and reactions, the service's sender, MailDev as the mail server.

let h: EmailHarness;
let admin: Admin;
let producer: Producer;
let prefix: string;
const consumers: Consumer[] = [];
const reports: ConsumeReport[] = [];
const recipients: string[] = [];

const topic = (name: TopicName) => `${prefix}.${name}`;

function startConsumer(groupId: string): Promise<void> {
  const consumer = createConsumer({
    kafka: h.context.kafka,
    pool: h.context.pool,
    groupId,
    topics: EMAIL_TOPICS.map(topic),
    serde: h.context.serde,
    handle: emailService.consumer!.handler(h.context),
    retry: { initialMs: 20, maxMs: 200 },
    maxAttempts: 2,
    hooks: { outcome: (report) => reports.push({ ...report }) },
  });
  consumers.push(consumer);
  return consumer.start();
}

async function publish(...events: DomainEvent[]): Promise<void> {
  for (const event of events)
    await producer.send({
      topic: topic(topicOf(event.type)),
      messages: [{ key: keyOf(event), value: await h.context.serde.encode(event) }],
    });
}

function handled(event: DomainEvent, outcome: ConsumeReport["outcome"] = "processed") {
  return waitFor(`${event.type} ${event.data.metadata.eventId} to be ${outcome}`, () =>
    reports.find(
      (r) => r.outcome === outcome && r.event?.data.metadata.eventId === event.data.metadata.eventId,
    ),
  );
}

function recipient(label: string): string {
  const address = uniqueRecipient(label);
  recipients.push(address);
  return address;
}

async function mailTo(address: string) {
  const [mail] = await waitFor(`a mail to ${address}`, async () => {
    const mails = await sinkMailsTo(address);
    return mails.length > 0 ? mails : undefined;
  });
  return mail!;
}

function placedOrder(customerEmail: string, address: Partial<ShippingAddress> = {}) {
  const orderId = randomUUID();
  const placed = sampleEvent("OrderPlaced", {
    orderId,
    customerEmail,
    lines: [
      { sku: "HRL-MUG-BLUE", quantity: 2, unitPrice: { amountMinor: 1290, currency: "EUR" } },
      { sku: "HRL-TEE-BLACK-M", quantity: 1, unitPrice: { amountMinor: 2490, currency: "EUR" } },
    ],
    total: { amountMinor: 5070, currency: "EUR" },
    shippingAddress: { ...shippingAddress(), ...address },
  });
  const { lines, total, customerId } = placed.data;
  const confirmed = sampleEvent("OrderConfirmed", { orderId, customerEmail, customerId, lines, total });
  return { orderId, placed, confirmed };
}

beforeAll(async () => {
  h = await createEmailHarness();
  prefix = uniqueName("email_mails");
  admin = h.context.kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: EMAIL_TOPICS.map((name) => ({ topic: topic(name), numPartitions: 2 })),
    waitForLeaders: true,
  });
  await h.context.serde.register();
  producer = h.context.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await startConsumer(uniqueName("email_mails_group"));
  h.startSender();
});

afterAll(async () => {
  await Promise.allSettled([...consumers.map((consumer) => consumer.stop()), producer?.disconnect()]);
  await admin
    ?.deleteTopics({ topics: EMAIL_TOPICS.map(topic) })
    .catch(() => {})
    .finally(() => admin.disconnect());
  await h?.close();
  await deleteSinkMailsTo(recipients);
});

describe("mail through Kafka to MailDev", () => {
  it("sends the confirmation with lines, total and address under the Message-ID derived from the event", async () => {
    const customer = recipient("confirmed");
    const { orderId, placed, confirmed } = placedOrder(customer);
    await publish(placed, confirmed);

    const mail = await mailTo(customer);
    const messageId = messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test");
    expect(mail.headers["message-id"]).toBe(messageId);
    expect(mail.from).toEqual([{ address: "orders@herald.test", name: "Herald Test" }]);
    expect(mail.subject).toBe(`Your order ${orderId.slice(0, 8)} is confirmed`);
    expect(mail.text).toContain("Hello Ada Lovelace,");
    expect(mail.text).toContain("  2 × HRL-MUG-BLUE at €12.90 = €25.80");
    expect(mail.text).toContain("  1 × HRL-TEE-BLACK-M at €24.90 = €24.90");
    expect(mail.text).toContain("  Total charged: €50.70");
    expect(mail.text).toContain("Shipping to:\n  Ada Lovelace\n  12 Analytical Row\n  N1 9GU London\n  GB");
    expect(mail.html).toContain(
      '<td style="padding:6px 8px;border-bottom:1px solid #e4e4e7;text-align:left">HRL-MUG-BLUE</td>',
    );
    expect(mail.html).toContain("€50.70");
    expect(mail.html).toContain("12 Analytical Row");

    const sent = await waitFor("EmailSent", async () =>
      (await h.outbox<EmailSent>("EmailSent")).find((event) => event.orderId === orderId),
    );
    expect(sent).toMatchObject({ template: "ORDER_CONFIRMED", recipient: customer, messageId });
    const response = await h.support({ method: "GET", url: `/emails?orderId=${orderId}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.orderId).toBe(orderId);
    expect(body.emails).toHaveLength(1);
    expect(body.emails[0]).toMatchObject({
      template: "ORDER_CONFIRMED",
      recipient: customer,
      messageId,
      status: "SENT",
      attempts: 1,
      failedAt: null,
      lastError: null,
    });
    expect(Date.parse(body.emails[0].sentAt)).not.toBeNaN();
  });

  it("sends nothing new for a redelivered event, nor for a replay of the topics by a fresh consumer group", async () => {
    const customer = recipient("replayed");
    const { orderId, placed, confirmed } = placedOrder(customer);
    await publish(placed, confirmed);
    await mailTo(customer);

    // The same event delivered again: the inbox drops it.
    await publish(confirmed);
    await handled(confirmed, "duplicate");
    // Every event replayed into a group with an empty inbox: the reactions run again and find the mail recorded.
    await startConsumer(uniqueName("email_mails_replay"));
    await waitFor("the replay to reach the confirmation", () =>
      reports.filter(
        (r) =>
          r.outcome === "processed" && r.event?.data.metadata.eventId === confirmed.data.metadata.eventId,
      ).length === 2
        ? true
        : undefined,
    );

    const rows = (await h.emails()).filter((row) => row.order_id === orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "SENT", attempts: 1 });
    // Nothing is left to send, so nothing can arrive later either.
    expect((await h.emails()).filter((row) => row.status === "PENDING")).toEqual([]);
    expect(await sinkMailsTo(customer)).toHaveLength(1);
    expect(
      (await h.outbox<EmailSent>("EmailSent")).filter((event) => event.orderId === orderId),
    ).toHaveLength(1);
  });

  it("escapes markup, quotes and ampersands of customer values in HTML and keeps Unicode intact", async () => {
    const customer = recipient("hostile");
    const name = `<script>alert("pwned")</script> Zoë "Ægir" O'Brien 山田太郎 🚀`;
    const { placed, confirmed } = placedOrder(customer, {
      recipientName: name,
      line1: `1 <b>Rue</b> & "Quai" d'Orsay`,
      line2: "<img src=x onerror=alert(1)>",
      city: "Zürich",
      postalCode: "8001",
      region: "Zürich 🇨🇭",
      country: "CH",
    });
    await publish(placed, confirmed);

    const mail = await mailTo(customer);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img");
    expect(mail.html).not.toContain("<b>Rue</b>");
    expect(mail.html).toContain(
      "Hello &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Zoë &quot;Ægir&quot; O&#39;Brien 山田太郎 🚀,",
    );
    expect(mail.html).toContain("1 &lt;b&gt;Rue&lt;/b&gt; &amp; &quot;Quai&quot; d&#39;Orsay");
    expect(mail.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(mail.html).toContain("8001 Zürich<br>Zürich 🇨🇭");
    expect(mail.text).toContain(`Hello ${name},`);
    expect(mail.text).toContain(
      `  1 <b>Rue</b> & "Quai" d'Orsay\n  <img src=x onerror=alert(1)>\n  8001 Zürich\n  Zürich 🇨🇭`,
    );
  });

  it("sends the cancellation with the reason and the refund of a payment it saw", async () => {
    const customer = recipient("cancelled");
    const { orderId, placed } = placedOrder(customer);
    const paid = sampleEvent("PaymentProcessed", { orderId, amount: { amountMinor: 5070, currency: "EUR" } });
    await publish(placed, paid);
    await handled(paid);
    const { customerId, lines, total } = placed.data;
    const cancelled = sampleEvent("OrderCancelled", {
      orderId,
      customerId,
      customerEmail: customer,
      lines,
      total,
      reason: "CUSTOMER_REQUEST",
      detail: null,
    });
    await publish(cancelled);

    const mail = await mailTo(customer);
    expect(mail.headers["message-id"]).toBe(
      messageIdFor(cancelled.data.metadata.eventId, "ORDER_CANCELLED", "herald.test"),
    );
    expect(mail.subject).toBe(`Your order ${orderId.slice(0, 8)} has been cancelled`);
    expect(mail.text).toContain("As you asked, we cancelled your order.");
    expect(mail.text).toContain("The €50.70 you paid will be refunded to your payment method.");
    expect(mail.html).toContain("The €50.70 you paid will be refunded to your payment method.");
  });

  it("sends the sales digest to the operations address", async () => {
    const ops = h.context.config.EMAIL_OPS_ADDRESS;
    recipients.push(ops);
    const periodId = `${new Date().toISOString().slice(0, 16)}Z/PT1M/${randomUUID().slice(0, 8)}`;
    const summary = sampleEvent("SalesPeriodSummarized", { periodId });
    await publish(summary);

    const mail = await mailTo(ops);
    expect(mail.subject).toBe("Sales digest 2025-11-23 12:00 UTC – 2025-11-23 13:00 UTC");
    expect(mail.text).toContain("Orders placed: 3");
    expect(mail.text).toContain(periodId);
    const sent = await waitFor("EmailSent of the digest", async () =>
      (await h.outbox<EmailSent>("EmailSent")).find((event) => event.periodId === periodId),
    );
    expect(sent).toMatchObject({ orderId: null, template: "SALES_DIGEST", recipient: ops });
  });
});

describe("GET /emails", () => {
  it("answers 400 naming the field for a malformed or missing order id", async () => {
    for (const url of ["/emails?orderId=not-a-uuid", "/emails"]) {
      const response = await h.support({ method: "GET", url });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED" });
      expect(JSON.stringify(response.json().details)).toContain("orderId");
    }
  });

  it("answers 401 without a token and 403 to a customer: sent mail is staff's view", async () => {
    const url = `/emails?orderId=${randomUUID()}`;
    expect((await h.app.inject(url)).statusCode).toBe(401);
    const token = await testTokens.customer("cust-42");
    const customer = await h.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    expect([customer.statusCode, customer.json().code]).toEqual([403, "AUTH_FORBIDDEN"]);
  });

  it("answers an empty list for an order it has no mail about", async () => {
    const orderId = randomUUID();
    const response = await h.support({ method: "GET", url: `/emails?orderId=${orderId}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ orderId, emails: [] });
  });
});
