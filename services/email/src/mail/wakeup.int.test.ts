import { randomUUID } from "node:crypto";
import { sampleEvent } from "@herald/events/testing";
import { describe, expect, it, onTestFinished } from "vitest";
import { createTestMailSender, harnessWithSmtpServer, uniqueRecipient, waitFor } from "../testing/harness.js";
import { messageIdFor } from "./message-id.js";
import { createSmtpTransport } from "./transport.js";

/** Far longer than any wait below: a sender that sends within the test woke on a notification. */
const MINUTES = 10 * 60_000;

describe("the sender's wake-ups", () => {
  it("sends a mail recorded while it is idle, woken by the recording transaction's commit", async () => {
    const { h: harness, smtp } = await harnessWithSmtpServer(() => "accept");
    const sender = createTestMailSender({
      pool: harness.context.pool,
      transport: createSmtpTransport(smtp.url, 2_000),
      maxAttempts: 3,
      retry: { initialMs: 50, maxMs: 100 },
      leaseMs: 5_000,
      sendDeadlineMs: 4_000,
      pollIntervalMs: MINUTES,
      fallbackPollMs: MINUTES,
    });
    sender.start();
    onTestFinished(() => sender.stop());
    // Each mail is recorded once the one before it is sent and the sender has registered as idle
    // again (it unregisters when it finds work), so it is waiting for a notification each time.
    for (let i = 0; i < 3; i++) {
      await waitFor("the sender to register as idle", async () => {
        const { rows } = await harness.context.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM idle_listeners WHERE channel = 'herald_email_due'",
        );
        return rows[0]!.n === 1 ? true : undefined;
      });
      const confirmed = sampleEvent("OrderConfirmed", {
        orderId: randomUUID(),
        customerEmail: uniqueRecipient("wakeup"),
      });
      const messageId = messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test");
      await harness.react(confirmed);
      await waitFor(`mail ${i} to be sent`, async () =>
        (await harness.emails()).find((row) => row.message_id === messageId && row.status === "SENT"),
      );
    }
    expect(smtp.accepted).toHaveLength(3);
  });
});
