import { randomUUID } from "node:crypto";
import { sampleEvent } from "@herald/events/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { harnessWithSmtpServer, uniqueRecipient, waitFor } from "../testing/harness.js";
import { messageIdFor } from "./message-id.js";
import { createRetentionSweeper, REDACTED } from "./retention.js";
import { findFacts } from "./store.js";

const DAY = 24 * 60 * 60 * 1000;

interface StoredMail {
  recipient: string;
  subject: string;
  html_body: string;
  text_body: string;
  last_error: string | null;
  status: string;
}

describe("retention of personal data", () => {
  it("redacts settled mails and forgets the customer's name and address once they are older than the retention; a replay sends nothing again", async () => {
    const { h, smtp } = await harnessWithSmtpServer(() => "accept");
    const pool = h.context.pool;
    const orderId = randomUUID();
    const customerEmail = uniqueRecipient("retention");
    const placed = sampleEvent("OrderPlaced", { orderId, customerEmail });
    const confirmed = sampleEvent("OrderConfirmed", { orderId, customerEmail });
    const sentId = messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test");
    await h.react(placed);
    await h.react(confirmed);
    const stop = h.startSender();
    const harness = h;
    await waitFor("the confirmation to be sent", async () =>
      (await harness.emails()).find((row) => row.message_id === sentId && row.status === "SENT"),
    );
    await stop();
    // A mail still to be sent keeps what it needs to be sent.
    const cancelled = sampleEvent("OrderCancelled", { orderId: randomUUID(), customerEmail });
    const pendingId = messageIdFor(cancelled.data.metadata.eventId, "ORDER_CANCELLED", "herald.test");
    await h.react(cancelled);

    const mail = async (messageId: string) =>
      (
        await pool.query<StoredMail>(
          "SELECT recipient, subject, html_body, text_body, last_error, status FROM emails WHERE message_id = $1",
          [messageId],
        )
      ).rows[0]!;
    const before = await mail(sentId);
    expect(before.recipient).toBe(customerEmail);

    const sweeper = (at: number) =>
      createRetentionSweeper({
        pool,
        retentionDays: 30,
        intervalMs: 60_000,
        logger: pino({ level: "silent" }),
        now: () => new Date(at),
      });

    // Within the retention: nothing changes.
    expect(await sweeper(Date.now() + 29 * DAY).sweepOnce()).toEqual({ mails: 0, orders: 0 });
    expect(await mail(sentId)).toEqual(before);

    // Past it: the settled mail keeps its identity and outcome, loses everything personal.
    expect(await sweeper(Date.now() + 31 * DAY).sweepOnce()).toEqual({ mails: 1, orders: 1 });
    expect(await mail(sentId)).toEqual({
      recipient: REDACTED,
      subject: REDACTED,
      html_body: REDACTED,
      text_body: REDACTED,
      last_error: null,
      status: "SENT",
    });
    expect(await findFacts(pool, orderId)).toMatchObject({ customerName: null, shippingAddress: null });
    expect((await mail(pendingId)).recipient).toBe(customerEmail);

    // A sweep finds nothing more; a replayed event finds its mail's row and sends nothing.
    expect(await sweeper(Date.now() + 32 * DAY).sweepOnce()).toEqual({ mails: 0, orders: 0 });
    await h.react(confirmed);
    expect((await h.emails()).filter((row) => row.message_id === sentId)).toHaveLength(1);
    expect(smtp.accepted.map((message) => message.messageId)).toEqual([sentId]);
  });
});
