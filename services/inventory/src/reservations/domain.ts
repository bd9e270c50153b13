import type { EventData, EventOf } from "@herald/events";

/** The events the Inventory service reacts to. */
export const CONSUMED_EVENT_TYPES = [
  "OrderPlaced",
  "OrderConfirmed",
  "OrderCancelled",
  "PaymentFailed",
] as const;
export type ConsumedEvent = EventOf<(typeof CONSUMED_EVENT_TYPES)[number]>;

/** The events the Inventory service writes. */
export type InventoryEventType = "InventoryReserved" | "InventoryReservationFailed" | "InventoryReleased";
export type InventoryEvent = EventOf<InventoryEventType>;

/** An event to announce, without its metadata, which the reaction stamps (ids and time are I/O). */
export type InventoryEventDraft = {
  [K in InventoryEventType]: { type: K; data: Omit<EventData[K], "metadata"> };
}[InventoryEventType];

export type StockLine = EventData["InventoryReserved"]["lines"][number];
export type Shortage = EventData["InventoryReservationFailed"]["unavailableSkus"][number];

/**
 * Where one order's reservation stands.
 * - NONE: nothing known about the order yet.
 * - RESERVED: every line is held (counted in `reserved`) until the order is confirmed or cancelled.
 * - FAILED: some line was short when the order was placed; nothing was held.
 * - RELEASED: the held units are available again (payment failed or the order was cancelled).
 * - SOLD: the order was confirmed; the units left the shelf (on hand and reserved both went down).
 * - RESTOCKED: a sold order was cancelled; its units are back on the shelf.
 * - CANCELLED_BEFORE_PLACED: the cancellation arrived first; the order is never reserved.
 */
export type ReservationStatus =
  | "NONE"
  | "RESERVED"
  | "FAILED"
  | "RELEASED"
  | "SOLD"
  | "RESTOCKED"
  | "CANCELLED_BEFORE_PLACED";

export interface Reservation {
  readonly orderId: string;
  readonly status: ReservationStatus;
  /** What the order asked for (FAILED), holds (RESERVED), bought (SOLD) or gave back (RELEASED, RESTOCKED). */
  readonly lines: readonly StockLine[];
  /** The short lines of a FAILED reservation; empty otherwise. */
  readonly shortages: readonly Shortage[];
}

export const noReservation = (orderId: string): Reservation => ({
  orderId,
  status: "NONE",
  lines: [],
  shortages: [],
});

/** One SKU's stock as read under its row lock. */
export interface StockLevel {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
}

/** What `decide` concludes about a reservation; `evolve` folds it, `stockChanges` and `announce` derive the rest. */
export type ReservationFact =
  | { readonly type: "Reserved"; readonly lines: readonly StockLine[] }
  | {
      readonly type: "ReservationFailed";
      readonly lines: readonly StockLine[];
      readonly shortages: readonly Shortage[];
    }
  | { readonly type: "Released"; readonly lines: readonly StockLine[] }
  | { readonly type: "Sold"; readonly lines: readonly StockLine[] }
  | { readonly type: "Restocked"; readonly lines: readonly StockLine[] }
  | { readonly type: "CancelledBeforePlaced" };

/** A change to one SKU's counters, in units (negative takes away). */
export interface StockChange {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
}
