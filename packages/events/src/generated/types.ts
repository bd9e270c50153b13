// Generated from schemas/ by `npm run codegen`; do not edit. A unit test fails when this file and the
// schemas disagree.

/** The symbols of {@link EmailTemplate}, in schema order. */
export const EMAIL_TEMPLATE_SYMBOLS = ["ORDER_CONFIRMED", "ORDER_CANCELLED", "SALES_DIGEST"] as const;
/** Which mail the email service composed. */
export type EmailTemplate = (typeof EMAIL_TEMPLATE_SYMBOLS)[number];

/** Who announced an event, when, and what led to it. The first field of every event. */
export interface Metadata {
  /** Unique id of this event (UUID v4); consumers deduplicate on it. */
  eventId: string;
  /** When the fact happened, in milliseconds since the Unix epoch (UTC). */
  occurredAt: number;
  /**
   * Id of the saga this event belongs to: set once where the request entered the system and copied to every
   * event that follows from it.
   */
  correlationId: string;
  /** eventId of the event that caused this one; null when a request or a timer caused it. */
  causationId: string | null;
  /** Name of the service that produced the event, e.g. "order". */
  producer: string;
  /** W3C Trace Context traceparent of the producing span; null when tracing is off. */
  traceparent: string | null;
}

/** An amount of money, exact: integer minor units of one currency. */
export interface Money {
  /** Amount in the currency's minor unit (cents for EUR and USD, yen for JPY). */
  amountMinor: number;
  /** ISO 4217 alphabetic currency code, upper case, e.g. "EUR". */
  currency: string;
}

/** One line of an order as priced when the order was placed. */
export interface OrderLine {
  /** Stock keeping unit of the product. */
  sku: string;
  /** Number of units ordered; at least 1. */
  quantity: number;
  /** Price of one unit, from the order service's catalog at the time of the order. */
  unitPrice: Money;
}

/** A quantity of one product held or given back by the inventory. */
export interface StockLine {
  /** Stock keeping unit of the product. */
  sku: string;
  /** Number of units; at least 1. */
  quantity: number;
}

/** Sales figures of one closed period, for the operations digest. Keyed by the period id. */
export interface SalesPeriodSummarized {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the period, stable across re-runs (e.g. "2025-11-23T12:00Z/PT1H"); the Kafka key. */
  periodId: string;
  /** Start of the period, inclusive, in milliseconds since the Unix epoch (UTC). */
  periodStart: number;
  /** End of the period, exclusive, in milliseconds since the Unix epoch (UTC). */
  periodEnd: number;
  /** Orders placed in the period. */
  orderCount: number;
  /** Orders confirmed in the period. */
  confirmedCount: number;
  /** Orders cancelled in the period. */
  cancelledCount: number;
  /**
   * Total of the orders confirmed in the period minus refunds, one entry per currency; empty when there were
   * none.
   */
  revenue: Money[];
  /** Best-selling products of the period by units sold, best first; at most ten. */
  topSkus: SkuSales[];
}

/** Units of one product sold in a period. */
export interface SkuSales {
  /** Stock keeping unit of the product. */
  sku: string;
  /** Units sold in confirmed orders of the period. */
  quantity: number;
}

/** A mail could not be delivered to the mail server after all retries; it will not be sent. */
export interface EmailFailed {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /**
   * Order the mail was about; the Kafka key when set. Null for mails about no single order (sales digests).
   */
  orderId: string | null;
  /** Sales period a digest mail summarised; the Kafka key when orderId is null. Null for order mails. */
  periodId: string | null;
  /** Which mail it was. */
  template: EmailTemplate;
  /** Address the mail was sent to. */
  recipient: string;
  /** Why sending failed: the mail server's reply or the connection error. */
  error: string;
}

/** A mail was accepted by the mail server for delivery. */
export interface EmailSent {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /**
   * Order the mail was about; the Kafka key when set. Null for mails about no single order (sales digests).
   */
  orderId: string | null;
  /** Sales period a digest mail summarised; the Kafka key when orderId is null. Null for order mails. */
  periodId: string | null;
  /** Which mail it was. */
  template: EmailTemplate;
  /** Address the mail was sent to. */
  recipient: string;
  /** Message-ID the mail server assigned; null if it gave none. */
  messageId: string | null;
}

/** The stock reserved for an order is available again (the order was cancelled or its payment failed). */
export interface InventoryReleased {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** The released quantities, one line per product. */
  lines: StockLine[];
}

/** An order could not be reserved in full, so nothing was reserved for it. */
export interface InventoryReservationFailed {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** The products that were short; never empty. */
  unavailableSkus: UnavailableSku[];
}

/** A product the inventory could not reserve in the quantity ordered. */
export interface UnavailableSku {
  /** Stock keeping unit of the product. */
  sku: string;
  /** Units the order asked for. */
  requested: number;
  /** Units that were available; 0 for an unknown product. */
  available: number;
}

/** Every line of an order is reserved: the stock is held for it until the order is confirmed or cancelled. */
export interface InventoryReserved {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** The reserved quantities, one line per product. */
  lines: StockLine[];
}

/**
 * The order will not be fulfilled; reserved stock is released and a payment taken is refunded. Carries what
 * the cancellation mail needs.
 */
export interface OrderCancelled {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the customer who placed the order. */
  customerId: string;
  /** Address the cancellation notice goes to. */
  customerEmail: string;
  /** What was ordered, as priced when the order was placed. */
  lines: OrderLine[];
  /** Order total as placed (refunded if it was charged). */
  total: Money;
  /** Why the order was cancelled. */
  reason: CancellationReason;
  /**
   * Human-readable detail for the customer and support (e.g. which products ran out); null when the reason
   * says it all.
   */
  detail: string | null;
}

/** The symbols of {@link CancellationReason}, in schema order. */
export const CANCELLATION_REASON_SYMBOLS = ["OUT_OF_STOCK", "PAYMENT_FAILED", "CUSTOMER_REQUEST", "OTHER"] as const;
/** Why an order was cancelled. Readers that do not know a newer symbol read it as OTHER. */
export type CancellationReason = (typeof CANCELLATION_REASON_SYMBOLS)[number];

/**
 * Stock is reserved and payment taken: the order will be fulfilled. Carries what the confirmation mail needs.
 */
export interface OrderConfirmed {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the customer who placed the order. */
  customerId: string;
  /** Address the confirmation goes to. */
  customerEmail: string;
  /** What was ordered, as priced when the order was placed. */
  lines: OrderLine[];
  /** Amount charged for the order. */
  total: Money;
}

/**
 * A customer placed an order: validated and priced from the order service's catalog, not yet reserved or
 * paid.
 */
export interface OrderPlaced {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the customer who placed the order. */
  customerId: string;
  /** Address the customer's mails about this order go to. */
  customerEmail: string;
  /** What was ordered, one line per product; never empty. */
  lines: OrderLine[];
  /** Sum of quantity times unit price over all lines: the amount to charge. */
  total: Money;
  /** Token of the payment method to charge (e.g. "tok_visa"); card data never enters the system. */
  paymentMethodToken: string;
  /** Where to deliver. */
  shippingAddress: ShippingAddress;
}

/** Where the order is delivered. */
export interface ShippingAddress {
  /** Name of the person receiving the parcel. */
  recipientName: string;
  /** Street and number. */
  line1: string;
  /** Apartment, floor or other detail; null when there is none. */
  line2: string | null;
  /** City or town. */
  city: string;
  /** Postal code as written in the destination country. */
  postalCode: string;
  /** State, province or region, where the country uses one. */
  region: string | null;
  /** ISO 3166-1 alpha-2 country code, e.g. "DE". */
  country: string;
}

/** Charging an order failed for good; nothing was charged. */
export interface PaymentFailed {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the failed payment attempt. */
  paymentId: string;
  /** Amount that could not be charged. */
  amount: Money;
  /** Why the charge failed. */
  reason: PaymentFailureReason;
  /** Provider message for support; null when there is none. Never contains card data. */
  detail: string | null;
}

/** The symbols of {@link PaymentFailureReason}, in schema order. */
export const PAYMENT_FAILURE_REASON_SYMBOLS = ["CARD_DECLINED", "INSUFFICIENT_FUNDS", "CARD_EXPIRED", "INVALID_PAYMENT_METHOD", "OTHER"] as const;
/** Why a charge failed. Readers that do not know a newer symbol read it as OTHER. */
export type PaymentFailureReason = (typeof PAYMENT_FAILURE_REASON_SYMBOLS)[number];

/** An order's total was charged to its payment method. */
export interface PaymentProcessed {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the payment; refunds refer to it. */
  paymentId: string;
  /** Amount charged. */
  amount: Money;
}

/** A processed payment was paid back in full because its order was cancelled. */
export interface PaymentRefunded {
  /** Event id, time, correlation and causation. */
  metadata: Metadata;
  /** Id of the order; the Kafka key of every event about it. */
  orderId: string;
  /** Id of the payment that was refunded. */
  paymentId: string;
  /** Amount paid back. */
  amount: Money;
}

/** Every event type: one per schema outside `schemas/common`. */
export const EVENT_TYPES = [
  "SalesPeriodSummarized",
  "EmailFailed",
  "EmailSent",
  "InventoryReleased",
  "InventoryReservationFailed",
  "InventoryReserved",
  "OrderCancelled",
  "OrderConfirmed",
  "OrderPlaced",
  "PaymentFailed",
  "PaymentProcessed",
  "PaymentRefunded",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The data of each event type. */
export interface EventData {
  SalesPeriodSummarized: SalesPeriodSummarized;
  EmailFailed: EmailFailed;
  EmailSent: EmailSent;
  InventoryReleased: InventoryReleased;
  InventoryReservationFailed: InventoryReservationFailed;
  InventoryReserved: InventoryReserved;
  OrderCancelled: OrderCancelled;
  OrderConfirmed: OrderConfirmed;
  OrderPlaced: OrderPlaced;
  PaymentFailed: PaymentFailed;
  PaymentProcessed: PaymentProcessed;
  PaymentRefunded: PaymentRefunded;
}
