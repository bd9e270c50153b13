import { randomUUID } from "node:crypto";
import { sampleEvent } from "@herald/events/testing";
import { withTransaction } from "@herald/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailHarness, type EmailHarness, logger, uniqueRecipient } from "../testing/harness.js";
import { messageIdFor } from "./message-id.js";
import { createEmailReactions } from "./reactions.js";
import { findFacts } from "./store.js";

let h: EmailHarness;

beforeAll(async () => {
  h = await createEmailHarness();
});

afterAll(async () => {
  await h?.close();
});

describe("the reactions", () => {
  it("merge an order's facts in whatever order its topics deliver them", async () => {
    const orderId = randomUUID();
    const amount = { amountMinor: 5070, currency: "EUR" };
    // Payments can be consumed before the order that caused them: each fact sets only its own columns.
    await h.react(sampleEvent("PaymentRefunded", { orderId, amount }));
    await h.react(sampleEvent("PaymentProcessed", { orderId, amount }));
    await h.react(sampleEvent("OrderPlaced", { orderId }));
    await h.react(sampleEvent("OrderConfirmed", { orderId, total: { amountMinor: 1, currency: "EUR" } }));
    expect(await findFacts(h.context.pool, orderId)).toEqual({
      orderId,
      customerName: "Ada Lovelace",
      shippingAddress: sampleEvent("OrderPlaced").data.shippingAddress,
      paid: amount,
      refunded: amount,
    });
  });

  it("record a mail as PENDING under its derived Message-ID, and nothing for a replay", async () => {
    const customer = uniqueRecipient("reactions");
    const confirmed = sampleEvent("OrderConfirmed", { orderId: randomUUID(), customerEmail: customer });
    await h.react(confirmed);
    await h.react(confirmed);
    const rows = (await h.emails()).filter((row) => row.recipient === customer);
    expect(rows).toEqual([
      expect.objectContaining({
        message_id: messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test"),
        template: "ORDER_CONFIRMED",
        status: "PENDING",
        attempts: 0,
      }),
    ]);
  });

  it("add nothing for a replay after the Message-ID domain changed", async () => {
    const customer = uniqueRecipient("reactions");
    const cancelled = sampleEvent("OrderCancelled", { orderId: randomUUID(), customerEmail: customer });
    await h.react(cancelled);
    const renamed = createEmailReactions(
      { opsAddress: "ops@herald.test", messageIdDomain: "shop.example", quietPeriods: "skip" },
      logger,
    );
    await withTransaction(h.context.pool, (tx) => renamed(cancelled, tx));
    const rows = (await h.emails()).filter((row) => row.recipient === customer);
    expect(rows.map((row) => row.message_id)).toEqual([
      messageIdFor(cancelled.data.metadata.eventId, "ORDER_CANCELLED", "herald.test"),
    ]);
  });

  it("write no mail for events that call for none, nor a digest of a quiet period", async () => {
    const before = (await h.emails()).length;
    for (const type of ["OrderPlaced", "InventoryReserved", "PaymentFailed", "EmailSent"] as const)
      await h.react(sampleEvent(type, { orderId: randomUUID() }));
    await h.react(
      sampleEvent("SalesPeriodSummarized", {
        orderCount: 0,
        confirmedCount: 0,
        cancelledCount: 0,
        revenue: [],
        topSkus: [],
      }),
    );
    expect(await h.emails()).toHaveLength(before);
  });
});
