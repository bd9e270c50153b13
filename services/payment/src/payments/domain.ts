import type { EventData, EventOf, Money, PaymentFailureReason } from "@herald/events";
import type { ChargeResult } from "../gateway/gateway.js";

/** The other services' events payment reacts to; everything else on their topics is ignored. */
export const CONSUMED_EVENT_TYPES = ["OrderPlaced", "InventoryReserved", "OrderCancelled"] as const;
export type ConsumedEvent = EventOf<(typeof CONSUMED_EVENT_TYPES)[number]>;

/** The events payment publishes. */
export type PaymentEventType = "PaymentProcessed" | "PaymentFailed" | "PaymentRefunded";
/** A published event before the handler stamps its metadata (ids and time are I/O). */
export type PaymentEventDraft = {
  [K in PaymentEventType]: { type: K; data: Omit<EventData[K], "metadata"> };
}[PaymentEventType];

export type PaymentStatus = "PENDING" | "PROCESSED" | "FAILED" | "VOIDED" | "REFUNDED";

/** What the gateway worker must do next for an order; `inFlight` while a call may be under way. */
export interface GatewayWork {
  readonly operation: "charge" | "refund";
  /** When the worker may act: the retry time, or while in flight the end of the caller's lease. */
  readonly dueAt: number;
  readonly inFlight: boolean;
  /** A charge call may have reached the processor without a final answer: only the processor knows. */
  readonly inDoubt: boolean;
  /**
   * The end of the call window of the last charge call sent: until then it may still land at the
   * processor, so a lookup that finds nothing under its key is not the last word. Null if none was sent.
   */
  readonly doubtUntil: number | null;
}

export interface Refund {
  readonly status: "PENDING" | "REFUNDED";
  readonly attempts: number;
  readonly requestedAt: number;
  readonly refundedAt: number | null;
  readonly reference: string | null;
}

export interface Payment {
  readonly paymentId: string;
  readonly amount: Money;
  readonly token: string;
  readonly status: PaymentStatus;
  /** Gateway calls made for the charge (a lookup after a crash counts as one). */
  readonly attempts: number;
  readonly failure: { readonly reason: PaymentFailureReason; readonly detail: string | null } | null;
  readonly lastError: string | null;
  readonly reference: string | null;
  readonly requestedAt: number;
  readonly settledAt: number | null;
  readonly refund: Refund | null;
}

/** Everything payment knows about one order. */
export interface PaymentState {
  readonly orderId: string;
  /** What to charge, from OrderPlaced; null until it arrives. */
  readonly terms: { readonly amount: Money; readonly token: string } | null;
  readonly reserved: boolean;
  readonly cancelled: boolean;
  /** At most one per order: created when both the terms and the reservation are known. */
  readonly payment: Payment | null;
  readonly work: GatewayWork | null;
}

export const initialState = (orderId: string): PaymentState => ({
  orderId,
  terms: null,
  reserved: false,
  cancelled: false,
  payment: null,
  work: null,
});

/** The facts payment records about an order; `evolve` folds them into its state. */
export type PaymentFact =
  | { type: "OrderTermsRecorded"; amount: Money; token: string }
  | { type: "ReservationRecorded" }
  | { type: "CancellationRecorded" }
  | { type: "ChargeRequested"; paymentId: string; amount: Money; token: string; at: number }
  | { type: "ChargeVoided"; at: number }
  | { type: "GatewayCallStarted"; operation: GatewayOperation; at: number; leaseUntil: number }
  | { type: "GatewayCallFailed"; error: string; retryAt: number; inDoubt: boolean }
  | { type: "ChargeSucceeded"; reference: string; at: number }
  | { type: "ChargeDeclined"; reason: PaymentFailureReason; detail: string | null; at: number }
  | { type: "RefundRequested"; at: number }
  | { type: "RefundSucceeded"; reference: string; at: number };

/** `lookup` asks what became of a charge that was in flight when the order was cancelled. */
export type GatewayOperation = "charge" | "lookup" | "refund";

/** What a gateway call came back with, as the worker saw it. */
export type GatewayOutcome =
  | ChargeResult
  | { readonly status: "not_found" }
  | {
      /** The processor refused the request itself (a 4xx): no retry can change the answer, nothing was done. */
      readonly status: "rejected";
      readonly reason: PaymentFailureReason;
      readonly error: string;
    }
  | {
      readonly status: "unavailable";
      readonly error: string;
      /** True when the processor answered that it did nothing; false when the outcome is unknown. */
      readonly definite: boolean;
    };

export interface RetryPolicy {
  /** Charge attempts before a charge the processor keeps refusing to take fails for good. */
  readonly maxAttempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The worker's commands; consumed events are the other inputs. */
export type WorkerCommand =
  | { type: "StartGatewayCall"; leaseMs: number }
  | { type: "RecordGatewayResult"; operation: GatewayOperation; outcome: GatewayOutcome; retry: RetryPolicy };

/** What `decide` needs from the outside world: the time and an id for a new payment. */
export interface DecisionContext {
  readonly now: number;
  readonly newPaymentId: () => string;
}
