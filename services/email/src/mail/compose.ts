import type {
  CancellationReason,
  DomainEvent,
  EmailTemplate,
  EventOf,
  Metadata,
  Money,
  ShippingAddress,
} from "@herald/events";
import type { RenderedMail } from "../templates/layout.js";
import {
  type OrderSummary,
  type RefundNote,
  renderOrderCancelled,
  renderOrderConfirmed,
} from "../templates/order-mails.js";
import { renderSalesDigest } from "../templates/sales-digest.js";
import { messageIdFor } from "./message-id.js";

/** What the service remembers about an order from earlier events, to write about it later. */
export interface OrderFacts {
  readonly orderId: string;
  /** From OrderPlaced: the name on the shipping address. */
  readonly customerName: string | null;
  readonly shippingAddress: ShippingAddress | null;
  /** From PaymentProcessed, or OrderConfirmed (which follows a payment). */
  readonly paid: Money | null;
  /** From PaymentRefunded. */
  readonly refunded: Money | null;
}

/** One fact an event adds to what is known about its order. */
export type FactUpdate =
  | {
      readonly kind: "PLACED";
      readonly orderId: string;
      readonly customerName: string;
      readonly shippingAddress: ShippingAddress;
    }
  | { readonly kind: "PAID"; readonly orderId: string; readonly amount: Money }
  | { readonly kind: "REFUNDED"; readonly orderId: string; readonly amount: Money };

/** What a mail is, from its draft to its last attempt: its identity, recipient and what it is about. */
export interface MailHeader {
  readonly messageId: string;
  readonly template: EmailTemplate;
  readonly recipient: string;
  readonly orderId: string | null;
  readonly periodId: string | null;
  /** The metadata of the event the mail answers: EmailSent/EmailFailed are caused by it. */
  readonly cause: Metadata;
}

/** A mail to record: its header and its rendered content. */
export interface MailDraft extends MailHeader {
  readonly content: RenderedMail;
}

export interface ComposeSettings {
  /** Where the sales digest goes. */
  readonly opsAddress: string;
  /** The right-hand side of every Message-ID. */
  readonly messageIdDomain: string;
  /** Whether a period without orders still gets a digest (with one-minute periods, that is a mail a minute). */
  readonly quietPeriods: "skip" | "send";
}

export type MailEvent =
  | EventOf<"OrderConfirmed">
  | EventOf<"OrderCancelled">
  | EventOf<"SalesPeriodSummarized">;

const MAIL_EVENT_TYPES: ReadonlySet<string> = new Set([
  "OrderConfirmed",
  "OrderCancelled",
  "SalesPeriodSummarized",
]);

export function isMailEvent(event: DomainEvent): event is MailEvent {
  return MAIL_EVENT_TYPES.has(event.type);
}

/** The fact `event` adds about its order, if any. Pure. */
export function factOf(event: DomainEvent): FactUpdate | undefined {
  switch (event.type) {
    case "OrderPlaced":
      return {
        kind: "PLACED",
        orderId: event.data.orderId,
        customerName: event.data.shippingAddress.recipientName,
        shippingAddress: event.data.shippingAddress,
      };
    case "OrderConfirmed":
      return { kind: "PAID", orderId: event.data.orderId, amount: event.data.total };
    case "PaymentProcessed":
      return { kind: "PAID", orderId: event.data.orderId, amount: event.data.amount };
    case "PaymentRefunded":
      return { kind: "REFUNDED", orderId: event.data.orderId, amount: event.data.amount };
    default:
      return undefined;
  }
}

/** A period in which nothing happened: no order placed, confirmed or cancelled, no revenue. */
export function isQuietPeriod(figures: EventOf<"SalesPeriodSummarized">["data"]): boolean {
  return (
    figures.orderCount === 0 &&
    figures.confirmedCount === 0 &&
    figures.cancelledCount === 0 &&
    figures.revenue.every((money) => money.amountMinor === 0)
  );
}

/**
 * The mail `event` calls for, given what is known about its order (nothing for a digest), or
 * undefined for a quiet period's digest when those are skipped. Pure: the same event and facts
 * always give the same draft, Message-ID included.
 */
export function composeMail(
  event: MailEvent,
  facts: OrderFacts | undefined,
  settings: ComposeSettings,
): MailDraft | undefined {
  const { metadata } = event.data;
  const draft = (
    template: EmailTemplate,
    recipient: string,
    about: { orderId: string | null; periodId: string | null },
    content: RenderedMail,
  ): MailDraft => ({
    messageId: messageIdFor(metadata.eventId, template, settings.messageIdDomain),
    template,
    recipient,
    ...about,
    cause: metadata,
    content,
  });
  switch (event.type) {
    case "OrderConfirmed":
      return draft(
        "ORDER_CONFIRMED",
        event.data.customerEmail,
        { orderId: event.data.orderId, periodId: null },
        renderOrderConfirmed(summaryOf(event.data, facts)),
      );
    case "OrderCancelled":
      return draft(
        "ORDER_CANCELLED",
        event.data.customerEmail,
        { orderId: event.data.orderId, periodId: null },
        renderOrderCancelled(summaryOf(event.data, facts), {
          reason: event.data.reason,
          detail: event.data.detail,
          refund: refundNote(event.data.reason, facts),
        }),
      );
    case "SalesPeriodSummarized": {
      if (settings.quietPeriods === "skip" && isQuietPeriod(event.data)) return undefined;
      const { metadata: _metadata, ...figures } = event.data;
      return draft(
        "SALES_DIGEST",
        settings.opsAddress,
        { orderId: null, periodId: event.data.periodId },
        renderSalesDigest(figures),
      );
    }
  }
}

/**
 * What the cancellation mail says about money. A known refund or payment is named; out-of-stock and
 * payment-failed orders are never charged (payment charges only after a reservation, and a failed
 * charge takes nothing). A customer's cancellation with no payment seen says nothing rather than
 * something that a payment racing the cancel could make untrue.
 */
export function refundNote(reason: CancellationReason, facts: OrderFacts | undefined): RefundNote {
  if (facts?.refunded) return { kind: "REFUNDED", amount: facts.refunded };
  if (facts?.paid) return { kind: "WILL_BE_REFUNDED", amount: facts.paid };
  if (reason === "OUT_OF_STOCK" || reason === "PAYMENT_FAILED") return { kind: "NOT_CHARGED" };
  return { kind: "UNKNOWN" };
}

function summaryOf(
  data: EventOf<"OrderConfirmed">["data"] | EventOf<"OrderCancelled">["data"],
  facts: OrderFacts | undefined,
): OrderSummary {
  return {
    orderId: data.orderId,
    customerName: facts?.customerName ?? null,
    lines: data.lines,
    total: data.total,
    shippingAddress: facts?.shippingAddress ?? null,
  };
}
