import { randomUUID } from "node:crypto";
import type { EmailFailed, EmailSent } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import {
  createTestMailSender,
  type EmailHarness,
  type EmailRow,
  harnessWithSmtpServer as setUp,
  uniqueRecipient,
  waitFor,
} from "../testing/harness.js";
import { messageIdFor } from "./message-id.js";
import { claimDueMails } from "./store.js";
import { createSmtpTransport, leaseFor } from "./transport.js";

function confirmation(recipient = uniqueRecipient("sender")) {
  return sampleEvent("OrderConfirmed", { orderId: randomUUID(), customerEmail: recipient });
}

/** Records the mail of a new order confirmation to `recipient`; answers the event and the mail's Message-ID. */
async function recorded(harness: EmailHarness, recipient?: string) {
  const confirmed = confirmation(recipient);
  await harness.react(confirmed);
  return {
    confirmed,
    messageId: messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test"),
  };
}

/** What EmailSent and EmailFailed say of the confirmation mail for `confirmed`. */
const mailAbout = (confirmed: ReturnType<typeof confirmation>) => ({
  orderId: confirmed.data.orderId,
  periodId: null,
  template: "ORDER_CONFIRMED",
  recipient: confirmed.data.customerEmail,
});

async function settled(harness: EmailHarness, messageId: string): Promise<EmailRow> {
  return waitFor(`mail ${messageId} to settle`, async () =>
    (await harness.emails()).find((row) => row.message_id === messageId && row.status !== "PENDING"),
  );
}

describe("the sender", () => {
  it("retries a mail the server refused with the same Message-ID, and sends it once it is accepted", async () => {
    const { h, smtp } = await setUp((index) => (index < 2 ? "refuse-temporarily" : "accept"));
    const { confirmed, messageId } = await recorded(h);
    h.startSender();

    const row = await settled(h, messageId);
    expect(row).toMatchObject({ status: "SENT", attempts: 3 });
    expect(smtp.received.map((message) => message.messageId)).toEqual([messageId, messageId, messageId]);
    expect(smtp.accepted).toHaveLength(1);
    expect(smtp.accepted[0]!.recipients).toEqual([confirmed.data.customerEmail]);
    const sent = await h.outbox<EmailSent>("EmailSent");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      ...mailAbout(confirmed),
      messageId,
      metadata: {
        producer: "email",
        causationId: confirmed.data.metadata.eventId,
        correlationId: confirmed.data.metadata.correlationId,
      },
    });
    expect(await h.outbox("EmailFailed")).toEqual([]);
  });

  it("gives a mail up with EmailFailed after the last attempt, and goes on sending the next one", async () => {
    const { h, smtp } = await setUp(() => "refuse-temporarily");
    const { confirmed: doomed, messageId: doomedId } = await recorded(h);
    h.startSender();

    const row = await settled(h, doomedId);
    expect(row).toMatchObject({ status: "FAILED", attempts: 3 });
    expect(row.last_error).toContain("451");
    expect(smtp.received).toHaveLength(3);
    const failed = await h.outbox<EmailFailed>("EmailFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      ...mailAbout(doomed),
      metadata: { producer: "email", causationId: doomed.data.metadata.eventId },
    });
    expect(failed[0]!.error).toContain("451 4.3.0 try again later");
    expect(await h.outbox("EmailSent")).toEqual([]);

    smtp.answer = () => "accept";
    const { messageId: nextId } = await recorded(h);
    expect(await settled(h, nextId)).toMatchObject({ status: "SENT", attempts: 1 });
    expect(smtp.accepted.map((message) => message.messageId)).toEqual([nextId]);
  });

  it("does not retry a permanent refusal (5yz)", async () => {
    const { h, smtp } = await setUp(() => "refuse-permanently");
    const { messageId } = await recorded(h);
    h.startSender();
    const row = await settled(h, messageId);
    expect(row).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(smtp.received).toHaveLength(1);
    expect(await h.outbox("EmailFailed")).toHaveLength(1);
  });

  it("resends a mail whose conversation was cut off after the data under the same Message-ID", async () => {
    const { h, smtp } = await setUp((index) => (index === 0 ? "hang-up" : "accept"));
    const { messageId } = await recorded(h);
    h.startSender();

    expect(await settled(h, messageId)).toMatchObject({ status: "SENT", attempts: 2 });
    // The server may have kept the first copy; the receiver recognises the second by its Message-ID.
    expect(smtp.received.map((message) => message.messageId)).toEqual([messageId, messageId]);
    expect(await h.outbox("EmailSent")).toHaveLength(1);
  });

  it("takes over a mail whose sender died mid-attempt once its lease ends, with the same Message-ID", async () => {
    const { h, smtp } = await setUp(() => "accept");
    const { messageId } = await recorded(h);
    // A sender claims the mail for its attempt and dies before it reports anything.
    const [claimed] = await claimDueMails(h.context.pool, { limit: 10, leaseMs: 300 });
    expect(claimed?.messageId).toBe(messageId);
    h.startSender();

    expect(await settled(h, messageId)).toMatchObject({ status: "SENT", attempts: 2 });
    expect(smtp.accepted.map((message) => message.messageId)).toEqual([messageId]);
  });

  it("records a mail the server accepted as sent once the database answers again, never sending it twice", async () => {
    const { h, smtp } = await setUp(() => "accept");
    const { messageId } = await recorded(h);
    // The database goes away right after the server took the mail (as during a Postgres restart):
    // the next two connections fail.
    const real = h.context.pool;
    let outage = 0;
    let armed = true;
    const transport = createSmtpTransport(smtp.url, 5_000);
    const pool = new Proxy(real, {
      get(target, property, receiver) {
        if (property === "connect")
          return (
            callback?: (
              error: Error | undefined,
              client: pg.PoolClient | undefined,
              done: () => void,
            ) => void,
          ) => {
            if (outage-- <= 0) return callback ? target.connect(callback) : target.connect();
            const error = new Error("the database system is shutting down");
            return callback ? callback(error, undefined, () => {}) : Promise.reject(error);
          };
        return Reflect.get(target, property, receiver);
      },
    }) as pg.Pool;
    const sender = createTestMailSender({
      pool,
      transport: {
        async sendMail(message, call) {
          const sent = await transport.sendMail(message, call);
          if (armed) outage = 2;
          armed = false;
          return sent;
        },
      },
      maxAttempts: 5,
      retry: { initialMs: 50, maxMs: 200 },
      leaseMs: 1_500,
      sendDeadlineMs: 1_000,
      pollIntervalMs: 20,
    });
    sender.start();
    try {
      expect(await settled(h, messageId)).toMatchObject({ status: "SENT", attempts: 1 });
      // Well past the lease: nothing sends it again.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(smtp.received.map((message) => message.messageId)).toEqual([messageId]);
      expect(await h.outbox("EmailSent")).toHaveLength(1);
    } finally {
      await sender.stop();
    }
  });

  it("ends a conversation at its deadline, inside the lease, so no second sender can take over a mail still being sent", async () => {
    const timeoutMs = 300;
    const { h, smtp } = await setUp(() => "accept", {
      EMAIL_SMTP_TIMEOUT_MS: String(timeoutMs),
      EMAIL_MAX_ATTEMPTS: "1",
    });
    // Each reply comes within the socket timeout, so no single step times out; all of them together
    // (greeting, EHLO, MAIL, RCPT, DATA, the data) take longer than the lease.
    smtp.replyDelayMs = 250;
    const { messageId } = await recorded(h);
    const claimedFrom = performance.now();
    h.startSender();

    const row = await settled(h, messageId);
    await waitFor("the connection to close", async () => (smtp.openConnections === 0 ? true : undefined));
    expect(smtp.closedAt).toHaveLength(1);
    expect(smtp.closedAt[0]! - claimedFrom).toBeLessThan(leaseFor(timeoutMs));
    expect(smtp.received).toEqual([]);
    expect(row).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(row.last_error).toMatch(/deadline/);
  });

  it("never turns one recipient value into several recipients", async () => {
    const { h, smtp } = await setUp(() => "accept");
    const { messageId } = await recorded(h, "victim@a.test, attacker@b.test");
    h.startSender();
    await settled(h, messageId);
    expect(smtp.received.flatMap((message) => message.recipients)).not.toContain("attacker@b.test");
    expect(smtp.received.every((message) => message.recipients.length === 1)).toBe(true);
  });

  it("sends each mail once with two senders working the same table", async () => {
    const { h, smtp } = await setUp(() => "accept");
    const events = Array.from({ length: 20 }, () => confirmation());
    for (const event of events) await h.react(event);
    h.startSender();
    h.startSender();

    await waitFor("every mail to be sent", async () =>
      (await h.emails()).every((row) => row.status === "SENT") ? true : undefined,
    );
    const ids = smtp.accepted.map((message) => message.messageId);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(await h.outbox("EmailSent")).toHaveLength(20);
  });
});
