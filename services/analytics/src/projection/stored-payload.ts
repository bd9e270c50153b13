import type { DomainEvent, EventData, EventType } from "@herald/events";

/**
 * The fields of an event's payload kept in `analytics_facts.payload`: what the read models and the
 * period summaries need (order and payment ids, lines, money, reasons), and nothing personal. The
 * customer's id, email and address, the payment method token and mail recipients are never stored;
 * the metadata has its own columns.
 */
export function storedPayloadOf(event: DomainEvent): Record<string, unknown> {
  if (event.type === "SalesPeriodSummarized") {
    const { metadata: _metadata, ...figures } = event.data;
    return figures;
  }
  const data = new Map<string, unknown>(Object.entries(event.data));
  const kept: readonly string[] = STORED_FIELDS[event.type];
  return Object.fromEntries(kept.map((field) => [field, data.get(field)]));
}

/** The fields of each event type's payload that {@link storedPayloadOf} keeps, in the stored order. */
const STORED_FIELDS: {
  readonly [K in Exclude<EventType, "SalesPeriodSummarized">]: readonly (keyof EventData[K] & string)[];
} = {
  OrderPlaced: ["orderId", "lines", "total"],
  OrderConfirmed: ["orderId", "lines", "total"],
  OrderCancelled: ["orderId", "lines", "total", "reason", "detail"],
  InventoryReserved: ["orderId", "lines"],
  InventoryReleased: ["orderId", "lines"],
  InventoryReservationFailed: ["orderId", "unavailableSkus"],
  PaymentProcessed: ["orderId", "paymentId", "amount"],
  PaymentRefunded: ["orderId", "paymentId", "amount"],
  PaymentFailed: ["orderId", "paymentId", "amount", "reason", "detail"],
  EmailSent: ["orderId", "periodId", "template"],
  EmailFailed: ["orderId", "periodId", "template"],
};

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
