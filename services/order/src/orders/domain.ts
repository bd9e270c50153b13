import type { EventData, EventOf, Money } from "@herald/events";
import type { CatalogItem } from "../catalog/catalog.js";

/** The events the order aggregate writes; its stream holds nothing else. */
export type OrderEventType = "OrderPlaced" | "OrderConfirmed" | "OrderCancelled";
export type OrderEvent = EventOf<OrderEventType>;

/** What `decide` returns: an event without its metadata, which the handler stamps (ids and time are I/O). */
export type OrderEventDraft = {
  [K in OrderEventType]: { type: K; data: Omit<EventData[K], "metadata"> };
}[OrderEventType];

/** The other services' events the order saga reacts to. */
export const SAGA_EVENT_TYPES = [
  "InventoryReserved",
  "InventoryReservationFailed",
  "PaymentProcessed",
  "PaymentFailed",
] as const;
export type SagaEvent = EventOf<(typeof SAGA_EVENT_TYPES)[number]>;

export type OrderLine = EventData["OrderPlaced"]["lines"][number];
export type ShippingAddress = EventData["OrderPlaced"]["shippingAddress"];
export type CancellationReason = EventData["OrderCancelled"]["reason"];

export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;

export interface PlaceOrder {
  readonly type: "PlaceOrder";
  readonly data: {
    readonly orderId: string;
    readonly customerId: string;
    readonly customerEmail: string;
    readonly items: readonly { readonly sku: string; readonly quantity: number }[];
    readonly paymentMethodToken: string;
    readonly shippingAddress: ShippingAddress;
    /** The catalog entries of the requested SKUs (unknown SKUs are simply absent). */
    readonly catalog: ReadonlyMap<string, CatalogItem>;
  };
}

export interface CancelOrder {
  readonly type: "CancelOrder";
  readonly data: { readonly orderId: string };
}

export type OrderCommand = PlaceOrder | CancelOrder;

export type OrderStatus = "PLACED" | "CONFIRMED" | "CANCELLED";

export interface Order {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** Number of events folded so far; the next event gets `version + 1`. */
  readonly version: number;
  /** The saga this order started; every later event of the order carries it. */
  readonly correlationId: string;
  readonly customerId: string;
  readonly customerEmail: string;
  readonly lines: readonly OrderLine[];
  readonly total: Money;
  readonly paymentMethodToken: string;
  readonly shippingAddress: ShippingAddress;
  readonly placedAt: number;
  readonly updatedAt: number;
  readonly confirmedAt?: number;
  readonly cancellation?: {
    readonly reason: CancellationReason;
    readonly detail: string | null;
    readonly at: number;
  };
}

/** `null` until the order is placed. */
export type OrderState = Order | null;
export const initialState: OrderState = null;
