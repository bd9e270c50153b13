import type { DomainEvent } from "@herald/events";

/**
 * The fields of an event's payload kept in `analytics_facts.payload`: what the read models and the
 * period summaries need (order and payment ids, lines, money, reasons), and nothing personal. The
 * customer's id, email and address, the payment method token and mail recipients are never stored;
 * the metadata has its own columns.
 */
export function storedPayloadOf(event: DomainEvent): Record<string, unknown> {
  switch (event.type) {
    case "OrderPlaced":
    case "OrderConfirmed": {
      const { orderId, lines, total } = event.data;
      return { orderId, lines, total };
    }
    case "OrderCancelled": {
      const { orderId, lines, total, reason, detail } = event.data;
      return { orderId, lines, total, reason, detail };
    }
    case "InventoryReserved":
    case "InventoryReleased": {
      const { orderId, lines } = event.data;
      return { orderId, lines };
    }
    case "InventoryReservationFailed": {
      const { orderId, unavailableSkus } = event.data;
      return { orderId, unavailableSkus };
    }
    case "PaymentProcessed":
    case "PaymentRefunded": {
      const { orderId, paymentId, amount } = event.data;
      return { orderId, paymentId, amount };
    }
    case "PaymentFailed": {
      const { orderId, paymentId, amount, reason, detail } = event.data;
      return { orderId, paymentId, amount, reason, detail };
    }
    case "EmailSent":
    case "EmailFailed": {
      const { orderId, periodId, template } = event.data;
      return { orderId, periodId, template };
    }
    case "SalesPeriodSummarized": {
      const { metadata: _metadata, ...figures } = event.data;
      return figures;
    }
  }
}

/** The payload fields no stored fact keeps (the migration strips them from facts stored before). */
export const UNSTORED_FIELDS = [
  "metadata",
  "customerId",
  "customerEmail",
  "paymentMethodToken",
  "shippingAddress",
  "recipient",
  "messageId",
  "error",
] as const;

/** An SMTP error often quotes the address it failed for: the timeline shows it without. */
export function withoutRecipient(text: string, recipient: string): string {
  return recipient ? text.replaceAll(recipient, "<recipient>") : text;
}
