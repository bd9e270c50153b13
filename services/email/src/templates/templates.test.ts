import type { OrderLine } from "@herald/events";
import { shippingAddress } from "@herald/events/testing";
import { describe, expect, it } from "vitest";
import { formatMoney } from "./format.js";
import { escapeHtml, html } from "./html.js";
import { type OrderSummary, renderOrderCancelled, renderOrderConfirmed } from "./order-mails.js";
import { renderSalesDigest } from "./sales-digest.js";

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const lines: OrderLine[] = [
  { sku: "HRL-MUG-BLUE", quantity: 2, unitPrice: eur(1290) },
  { sku: "HRL-TEE-BLACK-M", quantity: 1, unitPrice: eur(2490) },
];
const address = shippingAddress();
const order: OrderSummary = {
  orderId: "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f",
  customerName: "Ada Lovelace",
  lines,
  total: eur(5070),
  shippingAddress: address,
};

describe("html", () => {
  it("escapes every interpolated value and keeps nested templates as markup", () => {
    const name = `<script>alert("x")</script> & 'friends'`;
    expect(html`<p title="${name}">${name}</p>${html`<br>`}`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p><br>',
    );
  });

  it("leaves Unicode as it is and renders nothing for null, undefined and false", () => {
    expect(escapeHtml("Zoë Ægir 山田太郎 🚀")).toBe("Zoë Ægir 山田太郎 🚀");
    expect(html`[${null}${undefined}${false}${0}]`.value).toBe("[0]");
  });
});

describe("formatMoney", () => {
  it("uses the currency's minor unit", () => {
    expect(formatMoney(eur(5070))).toBe("€50.70");
    expect(formatMoney({ amountMinor: 500, currency: "JPY" })).toBe("JP¥500");
    expect(formatMoney({ amountMinor: 1999, currency: "USD" })).toBe("US$19.99");
  });

  it("shows a malformed currency code next to the amount instead of failing", () => {
    expect(formatMoney({ amountMinor: 1250, currency: "EURO" })).toBe("12.50 EURO");
  });
});

describe("the confirmation mail", () => {
  it("lists the lines, the total and the address in both parts", () => {
    const mail = renderOrderConfirmed(order);
    expect(mail.subject).toBe("Your order 7d9f3c1e is confirmed");
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain("Hello Ada Lovelace,");
      expect(part).toContain("HRL-MUG-BLUE");
      expect(part).toContain("€25.80");
      expect(part).toContain("€50.70");
      expect(part).toContain("12 Analytical Row");
      expect(part).toContain("N1 9GU London");
      expect(part).toContain(order.orderId);
    }
    expect(mail.text).toContain("  2 × HRL-MUG-BLUE at €12.90 = €25.80");
    expect(mail.text).toContain("  Total charged: €50.70");
    expect(mail.html).toMatch(/^<!doctype html>/);
  });

  it("escapes the customer's values in HTML and keeps them verbatim in text", () => {
    const hostile = `<script>alert('pwned')</script> "Zoë" 山田`;
    const mail = renderOrderConfirmed({
      ...order,
      customerName: hostile,
      shippingAddress: { ...address, recipientName: hostile, line2: `<img src=x onerror="alert(1)">` },
    });
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img");
    expect(mail.html).toContain(
      "Hello &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &quot;Zoë&quot; 山田,",
    );
    expect(mail.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(mail.text).toContain(`Hello ${hostile},`);
    expect(mail.text).toContain(`<img src=x onerror="alert(1)">`);
  });

  it("greets without a name and leaves the address out when OrderPlaced was never seen", () => {
    const mail = renderOrderConfirmed({ ...order, customerName: null, shippingAddress: null });
    expect(mail.text).toMatch(/^Hello,\n/);
    expect(mail.text).not.toContain("Shipping to");
    expect(mail.html).not.toContain("Shipping to");
  });
});

describe("the cancellation mail", () => {
  const cancelledWith = (
    reason: Parameters<typeof renderOrderCancelled>[1]["reason"],
    detail: string | null,
    refund: Parameters<typeof renderOrderCancelled>[1]["refund"],
  ) => renderOrderCancelled(order, { reason, detail, refund });

  it("names the short SKUs when stock ran out and says nothing was charged", () => {
    const mail = cancelledWith("OUT_OF_STOCK", "HRL-MUG-BLUE: 2 requested, 1 available", {
      kind: "NOT_CHARGED",
    });
    expect(mail.subject).toBe("Your order 7d9f3c1e has been cancelled");
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain(
        "we could not reserve everything you ordered, so we cancelled the order. Not enough stock of HRL-MUG-BLUE: 2 requested, 1 available.",
      );
      expect(part).toContain("You have not been charged.");
    }
  });

  it("says in words why a payment failed", () => {
    const mail = cancelledWith("PAYMENT_FAILED", "CARD_DECLINED", { kind: "NOT_CHARGED" });
    expect(mail.text).toContain(
      "We could not take your payment (your card was declined), so we cancelled the order.",
    );
  });

  it("mentions the refund when the order was paid, and the amount refunded once it was", () => {
    const toRefund = cancelledWith("CUSTOMER_REQUEST", null, { kind: "WILL_BE_REFUNDED", amount: eur(5070) });
    expect(toRefund.text).toContain("As you asked, we cancelled your order.");
    expect(toRefund.text).toContain("The €50.70 you paid will be refunded to your payment method.");
    const refunded = cancelledWith("CUSTOMER_REQUEST", null, { kind: "REFUNDED", amount: eur(5070) });
    expect(refunded.html).toContain("We have refunded €50.70 to your payment method.");
  });

  it("says nothing about money it does not know about", () => {
    const mail = cancelledWith("CUSTOMER_REQUEST", null, { kind: "UNKNOWN" });
    expect(mail.text).not.toMatch(/refund|charged/i);
  });

  it("escapes the detail in HTML", () => {
    const mail = cancelledWith("OTHER", "<b>warehouse</b> flooded", { kind: "UNKNOWN" });
    expect(mail.html).toContain("We had to cancel your order: &lt;b&gt;warehouse&lt;/b&gt; flooded.");
    expect(mail.text).toContain("We had to cancel your order: <b>warehouse</b> flooded.");
  });
});

describe("the sales digest", () => {
  const figures = {
    periodId: "2025-11-23T12:00Z/PT1H",
    periodStart: Date.UTC(2025, 10, 23, 12),
    periodEnd: Date.UTC(2025, 10, 23, 13),
    orderCount: 12,
    confirmedCount: 9,
    cancelledCount: 3,
    revenue: [eur(45_630), { amountMinor: 1999, currency: "USD" }],
    topSkus: [
      { sku: "HRL-MUG-BLUE", quantity: 14 },
      { sku: "HRL-POSTER-A2", quantity: 5 },
    ],
  };

  it("shows the period, the counts, revenue per currency and the top products", () => {
    const mail = renderSalesDigest(figures);
    expect(mail.subject).toBe("Sales digest 2025-11-23 12:00 UTC – 2025-11-23 13:00 UTC");
    expect(mail.text).toContain("  Orders placed: 12\n  Confirmed: 9\n  Cancelled: 3");
    expect(mail.text).toContain("Revenue, net of refunds: €456.30, US$19.99");
    expect(mail.text).toContain("Top products:\n  14 × HRL-MUG-BLUE\n  5 × HRL-POSTER-A2");
    expect(mail.html).toContain('<td style="padding:4px 12px 4px 0;text-align:left">HRL-MUG-BLUE</td>');
  });

  it("reads well for a quiet period", () => {
    const mail = renderSalesDigest({
      ...figures,
      orderCount: 0,
      confirmedCount: 0,
      cancelledCount: 0,
      revenue: [],
      topSkus: [],
    });
    expect(mail.text).toContain("Revenue, net of refunds: none");
    expect(mail.text).toContain("No product sold in this period.");
  });
});
