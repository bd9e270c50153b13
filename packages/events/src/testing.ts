import type { DomainEvent, EventOf } from "./events.js";
import {
  EVENT_TYPES,
  type EventData,
  type EventType,
  type Metadata,
  type ShippingAddress,
} from "./generated/types.js";
import { createMetadata } from "./metadata.js";
import { TOPICS, topicOf } from "./topics.js";

/**
 * The walkthrough's shipping address (README, "Walkthrough") as a customer sends it with an order:
 * the optional `line2` and `region` left out. Every test and check that places an order sends it.
 */
export const ORDER_ADDRESS: Readonly<Omit<ShippingAddress, "line2" | "region">> = {
  recipientName: "Ada Lovelace",
  line1: "12 Analytical Row",
  city: "London",
  postalCode: "N1 9GU",
  country: "GB",
};

/** {@link ORDER_ADDRESS} as the events carry it: the fields the customer left out are null. */
export const shippingAddress = (): ShippingAddress => ({ ...ORDER_ADDRESS, line2: null, region: null });

const ORDER_ID = "ord_7f3a2c";
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const lines = [
  { sku: "SKU-KETTLE", quantity: 1, unitPrice: eur(3999) },
  { sku: "SKU-MUG", quantity: 2, unitPrice: eur(850) },
];
const stock = lines.map(({ sku, quantity }) => ({ sku, quantity }));
const customer = { customerId: "cus_42", customerEmail: "ada@example.com" };

const samples: { [K in EventType]: (metadata: Metadata) => EventData[K] } = {
  OrderPlaced: (metadata) => ({
    metadata,
    orderId: ORDER_ID,
    ...customer,
    lines,
    total: eur(5699),
    paymentMethodToken: "tok_visa",
    shippingAddress: shippingAddress(),
  }),
  OrderConfirmed: (metadata) => ({ metadata, orderId: ORDER_ID, ...customer, lines, total: eur(5699) }),
  OrderCancelled: (metadata) => ({
    metadata,
    orderId: ORDER_ID,
    ...customer,
    lines,
    total: eur(5699),
    reason: "OUT_OF_STOCK",
    detail: "SKU-MUG: 1 of 2 available",
  }),
  InventoryReserved: (metadata) => ({ metadata, orderId: ORDER_ID, lines: stock }),
  InventoryReservationFailed: (metadata) => ({
    metadata,
    orderId: ORDER_ID,
    unavailableSkus: [{ sku: "SKU-MUG", requested: 2, available: 1 }],
  }),
  InventoryReleased: (metadata) => ({ metadata, orderId: ORDER_ID, lines: stock }),
  PaymentProcessed: (metadata) => ({ metadata, orderId: ORDER_ID, paymentId: "pay_1", amount: eur(5699) }),
  PaymentFailed: (metadata) => ({
    metadata,
    orderId: ORDER_ID,
    paymentId: "pay_2",
    amount: eur(5699),
    reason: "CARD_DECLINED",
    detail: null,
  }),
  PaymentRefunded: (metadata) => ({ metadata, orderId: ORDER_ID, paymentId: "pay_1", amount: eur(5699) }),
  EmailSent: (metadata) => ({
    metadata,
    orderId: ORDER_ID,
    periodId: null,
    template: "ORDER_CONFIRMED",
    recipient: customer.customerEmail,
    messageId: "<a1b2@mail.example.com>",
  }),
  EmailFailed: (metadata) => ({
    metadata,
    orderId: null,
    periodId: "2025-11-23T12:00Z/PT1H",
    template: "SALES_DIGEST",
    recipient: "ops@example.com",
    error: "421 4.7.0 Try again later",
  }),
  SalesPeriodSummarized: (metadata) => ({
    metadata,
    periodId: "2025-11-23T12:00Z/PT1H",
    periodStart: Date.UTC(2025, 10, 23, 12),
    periodEnd: Date.UTC(2025, 10, 23, 13),
    orderCount: 3,
    confirmedCount: 2,
    cancelledCount: 1,
    revenue: [eur(11398), { amountMinor: 1500, currency: "USD" }],
    topSkus: [
      { sku: "SKU-MUG", quantity: 4 },
      { sku: "SKU-KETTLE", quantity: 2 },
    ],
  }),
};

/** A valid event of the given type (a fresh event id each call), for tests; `data` fields can be overridden. */
export function sampleEvent<K extends EventType>(type: K, data: Partial<EventData[K]> = {}): EventOf<K> {
  const producer = TOPICS[topicOf(type)].writer;
  const base: EventData[K] = samples[type](
    createMetadata({ producer, now: new Date(Date.UTC(2025, 10, 23, 12, 30)) }),
  );
  return { type, data: { ...base, ...data } } as unknown as EventOf<K>;
}

/** One valid event of every type. */
export function sampleEvents(): DomainEvent[] {
  return EVENT_TYPES.map((type) => sampleEvent(type));
}
