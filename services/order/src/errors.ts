import { HeraldError } from "@herald/events";

export type OrderErrorCode =
  | "ORDER_INVALID"
  | "ORDER_NOT_FOUND"
  | "ORDER_ALREADY_EXISTS"
  | "ORDER_UNKNOWN_SKU"
  | "ORDER_DUPLICATE_SKU"
  | "ORDER_MIXED_CURRENCIES"
  | "ORDER_ILLEGAL_TRANSITION"
  | "ORDER_CONCURRENCY_CONFLICT"
  | "ORDER_IDEMPOTENCY_KEY_REUSED"
  /** Another service's fact contradicts the order it names (amount, currency, lines): never retried. */
  | "ORDER_SAGA_FACT_MISMATCH"
  /** The token may not place this order (another customer, or an email it did not verify). */
  | "ORDER_FORBIDDEN";

/** Everything the Order service refuses or fails at; `retryable` says whether trying again can help. */
export class OrderError extends HeraldError<OrderErrorCode> {}

/** How the HTTP error handler answers each code. */
export const ORDER_ERROR_STATUS: Readonly<Record<OrderErrorCode, number>> = {
  ORDER_INVALID: 400,
  ORDER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  ORDER_UNKNOWN_SKU: 422,
  ORDER_DUPLICATE_SKU: 400,
  ORDER_MIXED_CURRENCIES: 422,
  ORDER_ILLEGAL_TRANSITION: 409,
  ORDER_CONCURRENCY_CONFLICT: 503,
  ORDER_IDEMPOTENCY_KEY_REUSED: 422,
  // Raised only by the consumer's handler; never an HTTP answer.
  ORDER_SAGA_FACT_MISMATCH: 500,
  ORDER_FORBIDDEN: 403,
};
