import { randomUUID } from "node:crypto";
import type { DomainEvent, EventData, EventType, Metadata, Money, OrderLine } from "@herald/events";
import { shippingAddress } from "@herald/events/testing";

/** How an order's saga ends in a scenario. */
export type Outcome =
  | "confirmed"
  | "out_of_stock"
  | "payment_failed"
  | "cancelled_after_confirm"
  | "in_flight";

export interface ScenarioOrder {
  readonly orderId: string;
  readonly outcome: Outcome;
  readonly lines: readonly OrderLine[];
  readonly total: Money;
  /** When it was placed, epoch ms. */
  readonly placedAt: number;
  /** Placed → confirmed or cancelled, ms; undefined while in flight. */
  readonly latencyMs: number | undefined;
  readonly events: readonly DomainEvent[];
}

const address = shippingAddress();

/**
 * One order's whole saga as every service would announce it: each event caused by the one before,
 * one correlation id, the producer of the topic it travels on, times `step` ms apart.
 */
export function sagaOf(options: {
  outcome: Outcome;
  lines: readonly OrderLine[];
  placedAt: number;
  step?: number;
  orderId?: string;
}): ScenarioOrder {
  const { outcome, lines, placedAt } = options;
  const step = options.step ?? 200;
  const orderId = options.orderId ?? `ord-${randomUUID()}`;
  const currency = lines[0]!.unitPrice.currency;
  const total = {
    amountMinor: lines.reduce((sum, l) => sum + l.quantity * l.unitPrice.amountMinor, 0),
    currency,
  };
  const customer = { customerId: "cust-42", customerEmail: "ada@example.com" };
  /** What every event about the order as a whole carries. */
  const order = { orderId, ...customer, lines: [...lines], total };
  const stock = lines.map(({ sku, quantity }) => ({ sku, quantity }));
  const correlationId = randomUUID();
  const events: DomainEvent[] = [];
  let cause: Metadata | undefined;
  let at = placedAt;
  const emit = <K extends EventType>(type: K, producer: string, data: Omit<EventData[K], "metadata">) => {
    const metadata: Metadata = {
      eventId: randomUUID(),
      occurredAt: at,
      correlationId,
      causationId: cause?.eventId ?? null,
      producer,
      traceparent: null,
    };
    events.push({ type, data: { metadata, ...data } } as unknown as DomainEvent);
    cause = metadata;
    at += step;
    return metadata;
  };

  emit("OrderPlaced", "order", {
    ...order,
    paymentMethodToken: outcome === "payment_failed" ? "tok_declined" : "tok_visa",
    shippingAddress: address,
  });
  let terminalAt: number | undefined;
  if (outcome === "out_of_stock") {
    const first = lines[0]!;
    emit("InventoryReservationFailed", "inventory", {
      orderId,
      unavailableSkus: [{ sku: first.sku, requested: first.quantity, available: 0 }],
    });
    terminalAt = at;
    emit("OrderCancelled", "order", {
      ...order,
      reason: "OUT_OF_STOCK",
      detail: `${first.sku}: 0 of ${first.quantity} available`,
    });
    emit("EmailSent", "email", {
      orderId,
      periodId: null,
      template: "ORDER_CANCELLED",
      recipient: customer.customerEmail,
      messageId: `<${randomUUID()}@herald.test>`,
    });
  } else if (outcome !== "in_flight") {
    const reserved = emit("InventoryReserved", "inventory", { orderId, lines: stock });
    if (outcome === "payment_failed") {
      const failed = emit("PaymentFailed", "payment", {
        orderId,
        paymentId: `pay-${randomUUID()}`,
        amount: total,
        reason: "CARD_DECLINED",
        detail: null,
      });
      terminalAt = at;
      emit("OrderCancelled", "order", { ...order, reason: "PAYMENT_FAILED", detail: null });
      cause = failed;
      emit("InventoryReleased", "inventory", { orderId, lines: stock });
    } else {
      void reserved;
      const paymentId = `pay-${randomUUID()}`;
      emit("PaymentProcessed", "payment", { orderId, paymentId, amount: total });
      terminalAt = at;
      const confirmed = emit("OrderConfirmed", "order", order);
      emit("EmailSent", "email", {
        orderId,
        periodId: null,
        template: "ORDER_CONFIRMED",
        recipient: customer.customerEmail,
        messageId: `<${randomUUID()}@herald.test>`,
      });
      if (outcome === "cancelled_after_confirm") {
        cause = confirmed;
        const cancelled = emit("OrderCancelled", "order", {
          ...order,
          reason: "CUSTOMER_REQUEST",
          detail: null,
        });
        emit("PaymentRefunded", "payment", { orderId, paymentId, amount: total });
        cause = cancelled;
        emit("InventoryReleased", "inventory", { orderId, lines: stock });
      }
    }
  }
  return {
    orderId,
    outcome,
    lines,
    total,
    placedAt,
    latencyMs: terminalAt === undefined ? undefined : terminalAt - placedAt,
    events,
  };
}

export const eur = (amountMinor: number): Money => ({ amountMinor, currency: "EUR" });
export const usd = (amountMinor: number): Money => ({ amountMinor, currency: "USD" });
export const line = (sku: string, quantity: number, unitPrice: Money): OrderLine => ({
  sku,
  quantity,
  unitPrice,
});
