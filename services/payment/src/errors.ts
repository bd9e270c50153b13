import { HeraldError, type HeraldErrorOptions, type PaymentFailureReason } from "@herald/events";

export type PaymentErrorCode =
  | "PAYMENT_INVALID_REQUEST"
  | "PAYMENT_NOT_FOUND"
  | "PAYMENT_GATEWAY_UNAVAILABLE"
  | "PAYMENT_GATEWAY_TIMEOUT"
  | "PAYMENT_GATEWAY_REJECTED";

/**
 * Everything the Payment service refuses or fails at; `retryable` says whether trying again can help.
 * Of the gateway codes, only PAYMENT_GATEWAY_UNAVAILABLE means the processor answered and charged
 * nothing; after a timeout the charge may or may not have happened. PAYMENT_GATEWAY_REJECTED carries
 * the `reason` a payment refused for good fails with.
 */
export class PaymentError extends HeraldError<PaymentErrorCode> {
  /** Why the gateway declined, for the PaymentFailed event. */
  readonly reason: PaymentFailureReason | undefined;
  constructor(
    code: PaymentErrorCode,
    message: string,
    options: HeraldErrorOptions & { reason?: PaymentFailureReason } = {},
  ) {
    super(code, message, options);
    this.reason = options.reason;
  }
}

/** How the HTTP error handler answers each code; gateway failures never reach HTTP. */
export const PAYMENT_ERROR_STATUS: Readonly<Record<PaymentErrorCode, number>> = {
  PAYMENT_INVALID_REQUEST: 400,
  PAYMENT_NOT_FOUND: 404,
  PAYMENT_GATEWAY_UNAVAILABLE: 503,
  PAYMENT_GATEWAY_TIMEOUT: 503,
  PAYMENT_GATEWAY_REJECTED: 502,
};
