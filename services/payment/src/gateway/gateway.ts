import type { Money, PaymentFailureReason } from "@herald/events";

/** The processor's final word on a charge. */
export type ChargeResult =
  | { readonly status: "succeeded"; readonly reference: string }
  | { readonly status: "declined"; readonly reason: PaymentFailureReason; readonly detail: string | null };

export interface ChargeRequest {
  /** The processor charges once per key: a repeated key returns the first result. The order id. */
  readonly idempotencyKey: string;
  readonly token: string;
  readonly amount: Money;
}

export interface RefundRequest {
  /** A refund's own key, distinct from its charge's. */
  readonly idempotencyKey: string;
  /** The key of the charge to pay back. */
  readonly chargeKey: string;
  readonly amount: Money;
}

/** What every call carries: the caller aborts it when it stops waiting for the answer. */
export interface GatewayCall {
  readonly signal: AbortSignal;
}

/**
 * A card processor. A call that cannot be completed throws PaymentError: PAYMENT_GATEWAY_UNAVAILABLE
 * when the processor answered that it did nothing (safe to give up), PAYMENT_GATEWAY_TIMEOUT when the
 * outcome is unknown (only a call with the same key can settle it), PAYMENT_GATEWAY_REJECTED when
 * the request itself is wrong, so that no retry can change the answer (a 4xx: its `reason` says why).
 * Retrying with the same key never charges twice. An aborted call settles nothing the processor has
 * not settled yet; what it already settled stays, and is found by its key.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest, call: GatewayCall): Promise<ChargeResult>;
  /** The final result of an earlier charge with this key; null if the processor never completed one. */
  findCharge(idempotencyKey: string, call: GatewayCall): Promise<ChargeResult | null>;
  refund(request: RefundRequest, call: GatewayCall): Promise<{ readonly reference: string }>;
}

/** The idempotency key of an order's refund; the charge's key is the order id. */
export const refundKeyOf = (orderId: string): string => `${orderId}:refund`;
