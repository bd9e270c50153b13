import { sampleEvent } from "@herald/events/testing";
import { describe, expect, it } from "vitest";
import {
  type ComposeSettings,
  composeMail as composeOrSkip,
  factOf,
  type MailDraft,
  type OrderFacts,
  refundNote,
} from "./compose.js";
import { messageIdFor } from "./message-id.js";

const settings: ComposeSettings = {
  opsAddress: "ops@herald.test",
  messageIdDomain: "herald.test",
  quietPeriods: "skip",
};
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const placed = sampleEvent("OrderPlaced");
const orderId = placed.data.orderId;

/** The mail an event must call for. */
function composeMail(...args: Parameters<typeof composeOrSkip>): MailDraft {
  const draft = composeOrSkip(...args);
  if (!draft) throw new Error(`${args[0].type} called for no mail`);
  return draft;
}

/** What the service knows after the given events, folded the way the store's upserts merge them. */
function given(...events: Parameters<typeof factOf>[0][]): OrderFacts {
  let facts: OrderFacts = { orderId, customerName: null, shippingAddress: null, paid: null, refunded: null };
  for (const event of events) {
    const fact = factOf(event);
    if (fact?.kind === "PLACED")
      facts = { ...facts, customerName: fact.customerName, shippingAddress: fact.shippingAddress };
    if (fact?.kind === "PAID") facts = { ...facts, paid: facts.paid ?? fact.amount };
    if (fact?.kind === "REFUNDED") facts = { ...facts, refunded: fact.amount };
  }
  return facts;
}

describe("what events tell about an order", () => {
  it("OrderPlaced gives the name and address; payments and confirmations say it was paid; refunds are kept", () => {
    expect(factOf(placed)).toEqual({
      kind: "PLACED",
      orderId,
      customerName: "Ada Lovelace",
      shippingAddress: placed.data.shippingAddress,
    });
    expect(factOf(sampleEvent("PaymentProcessed"))).toEqual({ kind: "PAID", orderId, amount: eur(5699) });
    expect(factOf(sampleEvent("OrderConfirmed"))).toEqual({ kind: "PAID", orderId, amount: eur(5699) });
    expect(factOf(sampleEvent("PaymentRefunded"))).toEqual({ kind: "REFUNDED", orderId, amount: eur(5699) });
    expect(factOf(sampleEvent("InventoryReserved"))).toBeUndefined();
  });
});

describe("the mail an event calls for", () => {
  it("given the order was placed, when it is confirmed, then the customer gets a confirmation with the address", () => {
    const confirmed = sampleEvent("OrderConfirmed");
    const draft = composeMail(confirmed, given(placed), settings);
    expect(draft).toMatchObject({
      template: "ORDER_CONFIRMED",
      recipient: "ada@example.com",
      orderId,
      periodId: null,
      cause: confirmed.data.metadata,
      messageId: messageIdFor(confirmed.data.metadata.eventId, "ORDER_CONFIRMED", "herald.test"),
    });
    expect(draft.content.text).toContain("Hello Ada Lovelace,");
    expect(draft.content.text).toContain("12 Analytical Row");
    expect(draft.content.text).toContain("Total charged: €56.99");
  });

  it("given nothing about the order, when it is confirmed, then the mail goes out without name or address", () => {
    const draft = composeMail(sampleEvent("OrderConfirmed"), undefined, settings);
    expect(draft.content.text).toMatch(/^Hello,/);
    expect(draft.content.text).not.toContain("Shipping to");
  });

  it("given the same event twice, then the same Message-ID and content: a replay names the same mail", () => {
    const cancelled = sampleEvent("OrderCancelled");
    expect(composeMail(cancelled, given(placed), settings)).toEqual(
      composeMail(cancelled, given(placed), settings),
    );
  });

  it("given a placed order, when it is cancelled for stock, then the mail names the short SKUs and no charge", () => {
    const draft = composeMail(sampleEvent("OrderCancelled"), given(placed), settings);
    expect(draft.template).toBe("ORDER_CANCELLED");
    expect(draft.content.text).toContain("Not enough stock of SKU-MUG: 1 of 2 available.");
    expect(draft.content.text).toContain("You have not been charged.");
  });

  it("given a confirmed order, when the customer cancels, then the mail says the payment will be refunded", () => {
    const cancelled = sampleEvent("OrderCancelled", { reason: "CUSTOMER_REQUEST", detail: null });
    const draft = composeMail(cancelled, given(placed, sampleEvent("OrderConfirmed")), settings);
    expect(draft.content.text).toContain("The €56.99 you paid will be refunded to your payment method.");
  });

  it("given the refund was seen first, when the cancellation arrives, then the mail says it was refunded", () => {
    const cancelled = sampleEvent("OrderCancelled", { reason: "CUSTOMER_REQUEST", detail: null });
    const facts = given(placed, sampleEvent("PaymentProcessed"), sampleEvent("PaymentRefunded"));
    expect(composeMail(cancelled, facts, settings).content.text).toContain(
      "We have refunded €56.99 to your payment method.",
    );
  });

  it("when a sales period is summarised, then the digest goes to the ops address, keyed by the period", () => {
    const summary = sampleEvent("SalesPeriodSummarized");
    const draft = composeMail(summary, undefined, settings);
    expect(draft).toMatchObject({
      template: "SALES_DIGEST",
      recipient: "ops@herald.test",
      orderId: null,
      periodId: "2025-11-23T12:00Z/PT1H",
    });
    expect(draft.content.text).toContain("Orders placed: 3");
  });

  it("when a period without any order is summarised, then no digest, unless quiet periods are sent", () => {
    const quiet = sampleEvent("SalesPeriodSummarized", {
      orderCount: 0,
      confirmedCount: 0,
      cancelledCount: 0,
      revenue: [],
      topSkus: [],
    });
    expect(composeOrSkip(quiet, undefined, settings)).toBeUndefined();
    expect(composeMail(quiet, undefined, { ...settings, quietPeriods: "send" }).content.text).toContain(
      "No product sold in this period.",
    );
    const onlyCancellations = sampleEvent("SalesPeriodSummarized", { ...quiet.data, cancelledCount: 1 });
    expect(composeOrSkip(onlyCancellations, undefined, settings)?.template).toBe("SALES_DIGEST");
  });
});

describe("what the cancellation says about money", () => {
  it("never claims no charge for a customer's cancellation it saw no payment for", () => {
    expect(refundNote("CUSTOMER_REQUEST", undefined)).toEqual({ kind: "UNKNOWN" });
    expect(refundNote("OTHER", given(placed))).toEqual({ kind: "UNKNOWN" });
    expect(refundNote("PAYMENT_FAILED", given(placed))).toEqual({ kind: "NOT_CHARGED" });
  });
});
