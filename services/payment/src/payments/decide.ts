import { backoffCeiling } from "@herald/events";
import type {
  ConsumedEvent,
  DecisionContext,
  GatewayOperation,
  GatewayOutcome,
  PaymentEventDraft,
  PaymentFact,
  PaymentState,
  RetryPolicy,
  WorkerCommand,
} from "./domain.js";

/**
 * Payment's rules for one order. Pure. A charge is requested once both the amount (OrderPlaced)
 * and the reservation (InventoryReserved) are known, in either order, never after a cancellation;
 * a cancellation voids a charge not yet sent, and refunds a charge that went through. Every
 * consumed event is a no-op the second time, and stale worker results change nothing.
 */
export function decide(
  input: ConsumedEvent | WorkerCommand,
  state: PaymentState,
  context: DecisionContext,
): PaymentFact[] {
  switch (input.type) {
    case "OrderPlaced": {
      if (state.terms) return [];
      const { total, paymentMethodToken } = input.data;
      const terms = { amount: { ...total }, token: paymentMethodToken };
      return [{ type: "OrderTermsRecorded", ...terms }, ...chargeIfReady({ ...state, terms }, context)];
    }
    case "InventoryReserved":
      if (state.reserved) return [];
      return [{ type: "ReservationRecorded" }, ...chargeIfReady({ ...state, reserved: true }, context)];
    case "OrderCancelled":
      if (state.cancelled) return [];
      return [{ type: "CancellationRecorded" }, ...compensate(state, context.now)];
    case "StartGatewayCall":
      return startCall(state, input.leaseMs, context.now);
    case "RecordGatewayResult":
      return recordResult(state, input.operation, input.outcome, input.retry, context.now);
  }
}

function chargeIfReady(state: PaymentState, context: DecisionContext): PaymentFact[] {
  if (!state.terms || !state.reserved || state.cancelled || state.payment) return [];
  return [
    {
      type: "ChargeRequested",
      paymentId: context.newPaymentId(),
      amount: state.terms.amount,
      token: state.terms.token,
      at: context.now,
    },
  ];
}

/** After a cancellation: never charge what was not sent, pay back what was taken. */
function compensate(state: PaymentState, now: number): PaymentFact[] {
  const { payment, work } = state;
  if (!payment) return [];
  if (payment.status === "PENDING")
    // A call in flight (or lost in a crash) may have charged: the worker settles it and refunds if so.
    return work?.inDoubt ? [] : [{ type: "ChargeVoided", at: now }];
  if (payment.status === "PROCESSED" && !payment.refund) return [{ type: "RefundRequested", at: now }];
  return [];
}

function startCall(state: PaymentState, leaseMs: number, now: number): PaymentFact[] {
  const { work } = state;
  if (!work || work.dueAt > now) return [];
  const call = (operation: GatewayOperation): PaymentFact => ({
    type: "GatewayCallStarted",
    operation,
    at: now,
    leaseUntil: now + leaseMs,
  });
  if (work.operation === "refund") return [call("refund")];
  if (!state.cancelled) return [call("charge")];
  // Cancelled while a charge was in doubt: ask what became of it, never charge anew.
  return work.inDoubt ? [call("lookup")] : [{ type: "ChargeVoided", at: now }];
}

function recordResult(
  state: PaymentState,
  operation: GatewayOperation,
  outcome: GatewayOutcome,
  retry: RetryPolicy,
  now: number,
): PaymentFact[] {
  const { work, payment } = state;
  const expected = operation === "refund" ? "refund" : "charge";
  // Another caller settled it first, or took the call over after this one's lease ran out.
  if (!work?.inFlight || work.operation !== expected || !payment) return [];

  if (operation === "refund") {
    if (outcome.status === "succeeded")
      return [{ type: "RefundSucceeded", reference: outcome.reference, at: now }];
    // A refund is owed: it is retried, never given up.
    return [retryLater(outcome, payment.refund?.attempts ?? 1, retry, now, false)];
  }

  switch (outcome.status) {
    case "succeeded":
      return [
        { type: "ChargeSucceeded", reference: outcome.reference, at: now },
        ...(state.cancelled ? [{ type: "RefundRequested", at: now } as const] : []),
      ];
    case "declined":
      return [{ type: "ChargeDeclined", reason: outcome.reason, detail: outcome.detail, at: now }];
    case "rejected":
      // A refused lookup tells nothing; a refused charge did nothing, and a retry would be refused alike.
      if (operation === "lookup") return [retryLater(outcome, payment.attempts, retry, now, work.inDoubt)];
      if (state.cancelled) return [{ type: "ChargeVoided", at: now }];
      return [{ type: "ChargeDeclined", reason: outcome.reason, detail: outcome.error, at: now }];
    case "not_found":
      // Only a lookup answers this. A charge call whose window is still open may land yet: look again
      // once it closed, by the same key, rather than void a payment that is charged a moment later.
      if (work.doubtUntil !== null && now < work.doubtUntil)
        return [
          {
            type: "GatewayCallFailed",
            error: "no charge under the key yet; a late one could still land",
            retryAt: work.doubtUntil,
            inDoubt: true,
          },
        ];
      return [{ type: "ChargeVoided", at: now }];
    case "unavailable": {
      // A failed lookup tells nothing about the charge; a failed charge is settled only when definite.
      const inDoubt = operation === "lookup" ? work.inDoubt : !outcome.definite;
      if (!inDoubt && state.cancelled) return [{ type: "ChargeVoided", at: now }];
      if (!inDoubt && payment.attempts >= retry.maxAttempts)
        return [
          {
            type: "ChargeDeclined",
            reason: "OTHER",
            detail: `payment gateway unavailable after ${payment.attempts} attempts: ${outcome.error}`,
            at: now,
          },
        ];
      // An unknown outcome is settled only by calling again with the same key, however long it takes.
      return [retryLater(outcome, payment.attempts, retry, now, inDoubt)];
    }
  }
}

function retryLater(
  outcome: GatewayOutcome,
  attempts: number,
  retry: RetryPolicy,
  now: number,
  inDoubt: boolean,
): PaymentFact {
  const error =
    outcome.status === "unavailable" || outcome.status === "rejected"
      ? outcome.error
      : `unexpected gateway answer ${outcome.status}`;
  return { type: "GatewayCallFailed", error, retryAt: now + backoffCeiling(attempts, retry), inDoubt };
}

/** The events to publish for facts just recorded; the rest stay inside payment. */
export function announcements(facts: readonly PaymentFact[], state: PaymentState): PaymentEventDraft[] {
  const { orderId, payment } = state;
  if (!payment) return [];
  const { paymentId, amount } = payment;
  return facts.flatMap((fact): PaymentEventDraft[] => {
    switch (fact.type) {
      case "ChargeSucceeded":
        return [{ type: "PaymentProcessed", data: { orderId, paymentId, amount } }];
      case "ChargeDeclined":
        return [
          {
            type: "PaymentFailed",
            data: { orderId, paymentId, amount, reason: fact.reason, detail: fact.detail },
          },
        ];
      case "RefundSucceeded":
        return [{ type: "PaymentRefunded", data: { orderId, paymentId, amount } }];
      default:
        return [];
    }
  });
}
