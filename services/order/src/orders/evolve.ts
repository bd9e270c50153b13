import type { OrderEvent, OrderState } from "./domain.js";

/**
 * Names the code that folds an order: the snapshots it stores carry it, and a snapshot with another
 * value is never read (the state is folded from an older snapshot or from the first event instead).
 * Bump it by hand whenever `evolve` or an upcaster of `upcasters.ts` changes what a fold gives.
 */
export const ORDER_FOLD_VERSION = "order-fold-1";

/** The order after one more of its events. Pure; folding the whole stream gives the current state. */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  const at = event.data.metadata.occurredAt;
  if (event.type === "OrderPlaced") {
    const { metadata, ...placed } = event.data;
    return {
      ...placed,
      status: "PLACED",
      version: (state?.version ?? 0) + 1,
      correlationId: metadata.correlationId,
      placedAt: at,
      updatedAt: at,
    };
  }
  if (state === null) throw new Error(`the stream of order ${event.data.orderId} starts with ${event.type}`);
  switch (event.type) {
    case "OrderConfirmed":
      return { ...state, status: "CONFIRMED", version: state.version + 1, updatedAt: at, confirmedAt: at };
    case "OrderCancelled":
      return {
        ...state,
        status: "CANCELLED",
        version: state.version + 1,
        updatedAt: at,
        cancellation: { reason: event.data.reason, detail: event.data.detail, at },
      };
  }
}
