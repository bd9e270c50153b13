import type { Metadata } from "@herald/events";
import { shippingAddress } from "@herald/events/testing";
import { deciderSpec } from "@herald/service-kit/testing";
import type { CatalogItem } from "../catalog/catalog.js";
import { orderDecider } from "../orders/decider.js";
import type { OrderCommand, OrderEvent, OrderEventDraft, SagaEvent } from "../orders/domain.js";

/**
 * One order for the domain core's unit tests: its catalog, the commands and events of its life,
 * the saga's facts about it, and the Given/When/Then that runs `decide` on them.
 */

export const ORDER = "6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f";
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let sequence = 0;

export function metadata(at = T0, correlationId = "saga-1"): Metadata {
  sequence += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    occurredAt: at,
    correlationId,
    causationId: null,
    producer: "test",
    traceparent: null,
  };
}

export const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const item = (sku: string, amountMinor: number, currency = "EUR"): [string, CatalogItem] => [
  sku,
  { sku, name: sku, unitPrice: { amountMinor, currency } },
];
const catalog = new Map([item("MUG", 1290), item("TEE", 2490), item("YEN-FAN", 800, "JPY")]);
const address = shippingAddress();
const lines = [
  { sku: "MUG", quantity: 2, unitPrice: eur(1290) },
  { sku: "TEE", quantity: 1, unitPrice: eur(2490) },
];
const customer = { orderId: ORDER, customerId: "cust-1", customerEmail: "ada@example.com" };

export function placeOrder(items: { sku: string; quantity: number }[]): OrderCommand {
  return {
    type: "PlaceOrder",
    data: { ...customer, items, paymentMethodToken: "tok_visa", shippingAddress: address, catalog },
  };
}

export const placedData = {
  ...customer,
  lines,
  total: eur(5070),
  paymentMethodToken: "tok_visa",
  shippingAddress: address,
};
export const placed = (): OrderEvent => ({
  type: "OrderPlaced",
  data: { metadata: metadata(T0), ...placedData },
});
export const confirmedDraft: OrderEventDraft = {
  type: "OrderConfirmed",
  data: { ...customer, lines, total: eur(5070) },
};
export const cancelledDraft = (
  reason: "OUT_OF_STOCK" | "PAYMENT_FAILED" | "CUSTOMER_REQUEST",
  detail: string | null,
) =>
  ({
    type: "OrderCancelled",
    data: { ...customer, lines, total: eur(5070), reason, detail },
  }) as OrderEventDraft;
export const stamp = (draft: OrderEventDraft, at = T0 + 60_000): OrderEvent =>
  ({ type: draft.type, data: { ...draft.data, metadata: metadata(at) } }) as OrderEvent;
export const confirmed = () => stamp(confirmedDraft);
export const cancelled = (reason: "OUT_OF_STOCK" | "PAYMENT_FAILED" | "CUSTOMER_REQUEST") =>
  stamp(cancelledDraft(reason, null));

export const inventoryReserved = (): SagaEvent => ({
  type: "InventoryReserved",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    lines: [
      { sku: "MUG", quantity: 2 },
      { sku: "TEE", quantity: 1 },
    ],
  },
});
export const reservationFailed = (): SagaEvent => ({
  type: "InventoryReservationFailed",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    unavailableSkus: [{ sku: "TEE", requested: 1, available: 0 }],
  },
});
export const paymentProcessed = (): SagaEvent => ({
  type: "PaymentProcessed",
  data: { metadata: metadata(), orderId: ORDER, paymentId: "pay-1", amount: eur(5070) },
});
export const paymentFailed = (): SagaEvent => ({
  type: "PaymentFailed",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    paymentId: "pay-1",
    amount: eur(5070),
    reason: "CARD_DECLINED",
    detail: "issuer said no",
  },
});

/**
 * Given these past events, when this happens, then exactly these new drafts
 * (`thenDecides(...)`), or this refusal (`thenRefused(OrderError, code)`).
 */
export const given = deciderSpec(orderDecider, {
  id: ORDER,
  context: undefined,
  record: (draft) => stamp(draft),
});
