import type { CancellationReason, Money, OrderLine, ShippingAddress } from "@herald/events";
import { addressLines, formatMoney, shortOrderId } from "./format.js";
import { html, type SafeHtml } from "./html.js";
import { page, type RenderedMail, textPage } from "./layout.js";

/** What a customer mail shows about an order; the name and address are known once OrderPlaced was seen. */
export interface OrderSummary {
  readonly orderId: string;
  readonly customerName: string | null;
  readonly lines: readonly OrderLine[];
  readonly total: Money;
  readonly shippingAddress: ShippingAddress | null;
}

/** What the cancellation mail can say about the customer's money. */
export type RefundNote =
  | { readonly kind: "REFUNDED"; readonly amount: Money }
  | { readonly kind: "WILL_BE_REFUNDED"; readonly amount: Money }
  | { readonly kind: "NOT_CHARGED" }
  | { readonly kind: "UNKNOWN" };

export interface Cancellation {
  readonly reason: CancellationReason;
  /** The order service's detail: the short SKUs for OUT_OF_STOCK, the failure for PAYMENT_FAILED. */
  readonly detail: string | null;
  readonly refund: RefundNote;
}

const TABLE = "width:100%;border-collapse:collapse;margin:16px 0";
const CELL = "padding:6px 8px;border-bottom:1px solid #e4e4e7;text-align:left";
const NUMBER = `${CELL};text-align:right;white-space:nowrap`;

/** The customer's confirmation: the lines, the total charged and where the parcel goes. */
export function renderOrderConfirmed(order: OrderSummary): RenderedMail {
  const subject = `Your order ${shortOrderId(order.orderId)} is confirmed`;
  const intro = "Thank you for your order. Your payment has been taken and your order is being prepared.";
  return orderMail(subject, order, {
    html: html`<p>${intro}</p>
${linesTable(order.lines, order.total, "Total charged")}
${order.shippingAddress && html`<h2 style="font-size:16px">Shipping to</h2>${addressBlock(order.shippingAddress)}`}`,
    text: [
      intro,
      linesText(order.lines, order.total, "Total charged"),
      order.shippingAddress && `Shipping to:\n${indent(addressLines(order.shippingAddress))}`,
    ],
  });
}

/** The customer's cancellation: why, in a sentence, what was ordered, and what happens to the money. */
export function renderOrderCancelled(order: OrderSummary, cancellation: Cancellation): RenderedMail {
  const subject = `Your order ${shortOrderId(order.orderId)} has been cancelled`;
  const why = reasonSentence(cancellation);
  const money = refundSentence(cancellation.refund);
  return orderMail(subject, order, {
    html: html`<p>${why}</p>
${money && html`<p><strong>${money}</strong></p>`}
${linesTable(order.lines, order.total, "Order total")}`,
    text: [why, money, linesText(order.lines, order.total, "Order total")],
  });
}

/** A mail to the customer about their order: the subject as its heading, the greeting, `body`, the order's id. */
function orderMail(
  subject: string,
  order: OrderSummary,
  body: { readonly html: SafeHtml; readonly text: readonly (string | null | undefined)[] },
): RenderedMail {
  return {
    subject,
    html: page(
      subject,
      html`<h1 style="font-size:20px">${subject}</h1>
<p>${greeting(order.customerName)}</p>
${body.html}
${orderReference(order.orderId)}`,
    ),
    text: textPage([greeting(order.customerName), ...body.text, `Order ${order.orderId}`]),
  };
}

const PAYMENT_FAILURES: Readonly<Record<string, string>> = {
  CARD_DECLINED: "your card was declined",
  INSUFFICIENT_FUNDS: "the account had insufficient funds",
  CARD_EXPIRED: "your card has expired",
  INVALID_PAYMENT_METHOD: "the payment method could not be used",
};

/** One human sentence per reason; an unknown (newer) reason reads as OTHER. */
export function reasonSentence({ reason, detail }: Cancellation): string {
  switch (reason) {
    case "OUT_OF_STOCK":
      return detail
        ? `We are sorry: we could not reserve everything you ordered, so we cancelled the order. Not enough stock of ${detail}.`
        : "We are sorry: some of the items you ordered are out of stock, so we cancelled the order.";
    case "PAYMENT_FAILED": {
      const failure = paymentFailure(detail);
      return failure
        ? `We could not take your payment (${failure}), so we cancelled the order.`
        : "We could not take your payment, so we cancelled the order.";
    }
    case "CUSTOMER_REQUEST":
      return "As you asked, we cancelled your order.";
    default:
      return detail
        ? `We had to cancel your order: ${detail}.`
        : "We had to cancel your order. Please contact us if you have questions.";
  }
}

/** PaymentFailed details arrive as `CARD_DECLINED` or `CARD_DECLINED: <processor text>`. */
function paymentFailure(detail: string | null): string | undefined {
  if (!detail) return undefined;
  const [code = "", ...rest] = detail.split(":");
  const known = PAYMENT_FAILURES[code.trim()];
  if (known) return known;
  return rest.length > 0 ? rest.join(":").trim() || undefined : detail;
}

export function refundSentence(refund: RefundNote): string | undefined {
  switch (refund.kind) {
    case "REFUNDED":
      return `We have refunded ${formatMoney(refund.amount)} to your payment method.`;
    case "WILL_BE_REFUNDED":
      return `The ${formatMoney(refund.amount)} you paid will be refunded to your payment method.`;
    case "NOT_CHARGED":
      return "You have not been charged.";
    case "UNKNOWN":
      return undefined;
  }
}

function greeting(name: string | null): string {
  return name ? `Hello ${name},` : "Hello,";
}

function lineTotal(line: OrderLine): Money {
  return { amountMinor: line.unitPrice.amountMinor * line.quantity, currency: line.unitPrice.currency };
}

function linesTable(lines: readonly OrderLine[], total: Money, totalLabel: string): SafeHtml {
  return html`<table style="${TABLE}">
<thead><tr><th style="${CELL}">Item</th><th style="${NUMBER}">Qty</th><th style="${NUMBER}">Price</th><th style="${NUMBER}">Amount</th></tr></thead>
<tbody>
${lines.map(
  (line) =>
    html`<tr><td style="${CELL}">${line.sku}</td><td style="${NUMBER}">${line.quantity}</td><td style="${NUMBER}">${formatMoney(line.unitPrice)}</td><td style="${NUMBER}">${formatMoney(lineTotal(line))}</td></tr>
`,
)}</tbody>
<tfoot><tr><th style="${CELL}" colspan="3">${totalLabel}</th><th style="${NUMBER}">${formatMoney(total)}</th></tr></tfoot>
</table>`;
}

function linesText(lines: readonly OrderLine[], total: Money, totalLabel: string): string {
  const rows = lines.map(
    (line) =>
      `  ${line.quantity} × ${line.sku} at ${formatMoney(line.unitPrice)} = ${formatMoney(lineTotal(line))}`,
  );
  return [...rows, `  ${totalLabel}: ${formatMoney(total)}`].join("\n");
}

function addressBlock(address: ShippingAddress): SafeHtml {
  const lines = addressLines(address);
  return html`<p style="line-height:1.5">${lines.map((line, i) => html`${i > 0 && html`<br>`}${line}`)}</p>`;
}

function orderReference(orderId: string): SafeHtml {
  return html`<p style="font-size:12px;color:#71717a">Order ${orderId}</p>`;
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}`).join("\n");
}
