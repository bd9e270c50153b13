import { InventoryError } from "../errors.js";
import type {
  ConsumedEvent,
  InventoryEventDraft,
  Reservation,
  ReservationFact,
  Shortage,
  StockChange,
  StockLevel,
  StockLine,
} from "./domain.js";

/**
 * The reservation rules: what an order event means for the stock held for that order. Pure; the
 * stock levels are those of the order's SKUs read under their row locks (only placement reads
 * them). Every reaction is a no-op when repeated or late; a cancellation that arrives before the
 * placement is remembered, so the order is never reserved afterwards.
 */
export function decide(
  event: ConsumedEvent,
  state: Reservation,
  stock: ReadonlyMap<string, StockLevel>,
): ReservationFact[] {
  switch (event.type) {
    case "OrderPlaced": {
      if (state.status !== "NONE") return [];
      const lines = requestedLines(event.data.lines, event.data.orderId);
      const shortages = lines.flatMap((line): Shortage[] => {
        const available = availableOf(stock.get(line.sku));
        return available >= line.quantity ? [] : [{ sku: line.sku, requested: line.quantity, available }];
      });
      return shortages.length === 0
        ? [{ type: "Reserved", lines }]
        : [{ type: "ReservationFailed", lines, shortages }];
    }
    case "PaymentFailed":
      return state.status === "RESERVED" ? [{ type: "Released", lines: state.lines }] : [];
    case "OrderConfirmed":
      return state.status === "RESERVED" ? [{ type: "Sold", lines: state.lines }] : [];
    case "OrderCancelled":
      switch (state.status) {
        case "NONE":
          return [{ type: "CancelledBeforePlaced" }];
        case "RESERVED":
          return [{ type: "Released", lines: state.lines }];
        case "SOLD":
          return [{ type: "Restocked", lines: state.lines }];
        default:
          return [];
      }
  }
}

/** Units that can still be reserved; an unknown SKU has none. */
function availableOf(level: StockLevel | undefined): number {
  return level ? level.onHand - level.reserved : 0;
}

/**
 * The order's lines as stock lines, one per SKU in the order given (the order service never repeats
 * a SKU; if a message did, its quantities add up). A line without a positive quantity would turn a
 * reservation into a gift of stock: such an event is refused, not retried.
 */
function requestedLines(lines: readonly { sku: string; quantity: number }[], orderId: string): StockLine[] {
  if (lines.length === 0)
    throw new InventoryError("INVENTORY_INVALID_EVENT", `OrderPlaced ${orderId} has no lines`);
  const bad = lines.flatMap((line, index) =>
    Number.isInteger(line.quantity) && line.quantity > 0
      ? []
      : [{ path: `lines/${index}/quantity`, message: `must be a positive integer, got ${line.quantity}` }],
  );
  if (bad.length > 0)
    throw new InventoryError(
      "INVENTORY_INVALID_EVENT",
      `OrderPlaced ${orderId}: ${bad.map((b) => `${b.path} ${b.message}`).join("; ")}`,
      { details: bad },
    );
  const quantities = new Map<string, number>();
  for (const line of lines) quantities.set(line.sku, (quantities.get(line.sku) ?? 0) + line.quantity);
  return [...quantities].map(([sku, quantity]) => ({ sku, quantity }));
}

/** How a fact moves the stock counters. */
export function stockChanges(fact: ReservationFact): StockChange[] {
  switch (fact.type) {
    case "Reserved":
      return fact.lines.map(({ sku, quantity }) => ({ sku, onHand: 0, reserved: quantity }));
    case "Released":
      return fact.lines.map(({ sku, quantity }) => ({ sku, onHand: 0, reserved: -quantity }));
    case "Sold":
      return fact.lines.map(({ sku, quantity }) => ({ sku, onHand: -quantity, reserved: -quantity }));
    case "Restocked":
      return fact.lines.map(({ sku, quantity }) => ({ sku, onHand: quantity, reserved: 0 }));
    case "ReservationFailed":
    case "CancelledBeforePlaced":
      return [];
  }
}

/** What the rest of the system hears about a fact; a sale and a remembered cancellation are internal. */
export function announce(fact: ReservationFact, orderId: string): InventoryEventDraft[] {
  const lines = (fact.type === "CancelledBeforePlaced" ? [] : fact.lines).map(({ sku, quantity }) => ({
    sku,
    quantity,
  }));
  switch (fact.type) {
    case "Reserved":
      return [{ type: "InventoryReserved", data: { orderId, lines } }];
    case "ReservationFailed":
      return [
        {
          type: "InventoryReservationFailed",
          data: { orderId, unavailableSkus: fact.shortages.map((shortage) => ({ ...shortage })) },
        },
      ];
    case "Released":
    case "Restocked":
      return [{ type: "InventoryReleased", data: { orderId, lines } }];
    case "Sold":
    case "CancelledBeforePlaced":
      return [];
  }
}
