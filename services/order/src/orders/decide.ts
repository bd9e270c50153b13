import { OrderError } from "../errors.js";
import {
  type CancellationReason,
  MAX_LINES,
  MAX_QUANTITY,
  type Order,
  type OrderCommand,
  type OrderEventDraft,
  type OrderLine,
  type OrderState,
  type PlaceOrder,
  type SagaEvent,
} from "./domain.js";

/**
 * The order's business rules: what happens when a command or another service's event meets the
 * current state. Pure; refusals throw OrderError. Saga events are tolerated in any order and any
 * number of times: only an order still PLACED reacts, everything else is a no-op.
 */
export function decide(input: OrderCommand | SagaEvent, state: OrderState): OrderEventDraft[] {
  if (state !== null) crossCheck(input, state);
  switch (input.type) {
    case "PlaceOrder":
      return [place(input.data, state)];
    case "CancelOrder": {
      if (state === null)
        throw new OrderError("ORDER_NOT_FOUND", `order ${input.data.orderId} does not exist`);
      if (state.status === "CANCELLED") return [];
      // A confirmed order is cancelled too: payment refunds it and inventory restocks it on the same event.
      return [cancelled(state, "CUSTOMER_REQUEST", null)];
    }
    // Payment is only attempted once stock is reserved, so the reservation needs no reaction.
    case "InventoryReserved":
      return [];
    case "InventoryReservationFailed": {
      if (state?.status !== "PLACED") return [];
      const detail = input.data.unavailableSkus
        .map((short) => `${short.sku}: ${short.requested} requested, ${short.available} available`)
        .join("; ");
      return [cancelled(state, "OUT_OF_STOCK", detail || null)];
    }
    case "PaymentFailed": {
      if (state?.status !== "PLACED") return [];
      const detail = input.data.detail ? `${input.data.reason}: ${input.data.detail}` : input.data.reason;
      return [cancelled(state, "PAYMENT_FAILED", detail)];
    }
    case "PaymentProcessed": {
      if (state?.status !== "PLACED") return [];
      const { orderId, customerId, customerEmail, lines, total } = state;
      return [
        { type: "OrderConfirmed", data: { orderId, customerId, customerEmail, lines: [...lines], total } },
      ];
    }
  }
}

/**
 * A payment or reservation that contradicts the order it names is a poison fact: believing it would
 * confirm an order paid the wrong amount or ship what was not reserved, and redelivering it cannot
 * make it true. Refused (not retryable) in whatever status the order is, so the consumer dead-letters
 * it and the order does not move.
 */
function crossCheck(input: OrderCommand | SagaEvent, order: Order): void {
  if (input.type !== "PaymentProcessed" && input.type !== "InventoryReserved") return;
  const mismatch = (what: string) =>
    new OrderError(
      "ORDER_SAGA_FACT_MISMATCH",
      `${input.type} ${input.data.metadata.eventId} does not match order ${order.orderId}: ${what}`,
    );
  if (input.data.orderId !== order.orderId) throw mismatch(`it names order ${input.data.orderId}`);
  if (input.type === "PaymentProcessed") {
    const { amount } = input.data;
    if (amount.amountMinor !== order.total.amountMinor || amount.currency !== order.total.currency)
      throw mismatch(
        `paid ${amount.amountMinor} ${amount.currency}, the total is ${order.total.amountMinor} ${order.total.currency}`,
      );
    return;
  }
  const reserved = input.data.lines.map((line) => `${line.sku}×${line.quantity}`).sort();
  const ordered = order.lines.map((line) => `${line.sku}×${line.quantity}`).sort();
  if (reserved.join(",") !== ordered.join(","))
    throw mismatch(`reserved ${reserved.join(", ") || "nothing"}, the order is ${ordered.join(", ")}`);
}

function place(command: PlaceOrder["data"], state: OrderState): OrderEventDraft {
  if (state !== null) throw new OrderError("ORDER_ALREADY_EXISTS", `order ${command.orderId} already exists`);
  const { items, catalog } = command;
  if (items.length === 0 || items.length > MAX_LINES)
    throw new OrderError("ORDER_INVALID", `an order has 1 to ${MAX_LINES} lines, not ${items.length}`, {
      details: [{ path: "items", message: `must have 1 to ${MAX_LINES} lines` }],
    });
  const invalid = items.flatMap((item, index) =>
    Number.isInteger(item.quantity) && item.quantity >= 1 && item.quantity <= MAX_QUANTITY
      ? []
      : [{ path: `items/${index}/quantity`, message: `must be an integer from 1 to ${MAX_QUANTITY}` }],
  );
  if (invalid.length > 0)
    throw new OrderError("ORDER_INVALID", invalid.map((i) => `${i.path} ${i.message}`).join("; "), {
      details: invalid,
    });

  const firstIndex = new Map<string, number>();
  const repeated = new Set<string>();
  const duplicates = items.flatMap((item, index) => {
    const first = firstIndex.get(item.sku);
    if (first === undefined) {
      firstIndex.set(item.sku, index);
      return [];
    }
    repeated.add(item.sku);
    return [{ path: `items/${index}/sku`, message: `repeats ${item.sku} of items/${first}` }];
  });
  if (duplicates.length > 0)
    throw new OrderError(
      "ORDER_DUPLICATE_SKU",
      `each SKU may appear once per order (add up the quantity instead); repeated: ${[...repeated].join(", ")}`,
      { details: duplicates },
    );

  const unknown = items.flatMap((item, index) =>
    catalog.has(item.sku) ? [] : [{ path: `items/${index}/sku`, message: `unknown SKU ${item.sku}` }],
  );
  if (unknown.length > 0)
    throw new OrderError(
      "ORDER_UNKNOWN_SKU",
      `not in the catalog: ${items
        .filter((item) => !catalog.has(item.sku))
        .map((item) => item.sku)
        .join(", ")}`,
      { details: unknown },
    );

  const lines: OrderLine[] = items.map((item) => {
    const { unitPrice } = catalog.get(item.sku)!;
    return { sku: item.sku, quantity: item.quantity, unitPrice: { ...unitPrice } };
  });
  const currencies = new Set(lines.map((line) => line.unitPrice.currency));
  if (currencies.size > 1)
    throw new OrderError(
      "ORDER_MIXED_CURRENCIES",
      `the items are priced in ${[...currencies].join(" and ")}; an order is paid in one currency`,
    );
  const amountMinor = lines.reduce((sum, line) => sum + line.unitPrice.amountMinor * line.quantity, 0);
  return {
    type: "OrderPlaced",
    data: {
      orderId: command.orderId,
      customerId: command.customerId,
      customerEmail: command.customerEmail,
      lines,
      total: { amountMinor, currency: lines[0]!.unitPrice.currency },
      paymentMethodToken: command.paymentMethodToken,
      shippingAddress: command.shippingAddress,
    },
  };
}

function cancelled(order: Order, reason: CancellationReason, detail: string | null): OrderEventDraft {
  const { orderId, customerId, customerEmail, lines, total } = order;
  return {
    type: "OrderCancelled",
    data: { orderId, customerId, customerEmail, lines: [...lines], total, reason, detail },
  };
}
