import type { Payment, PaymentFact, PaymentState } from "./domain.js";

/** The order's payment state after one more fact. Pure. */
export function evolve(state: PaymentState, fact: PaymentFact): PaymentState {
  switch (fact.type) {
    case "OrderTermsRecorded":
      return { ...state, terms: { amount: fact.amount, token: fact.token } };
    case "ReservationRecorded":
      return { ...state, reserved: true };
    case "CancellationRecorded":
      return { ...state, cancelled: true };
    case "ChargeRequested":
      return {
        ...state,
        payment: {
          paymentId: fact.paymentId,
          amount: fact.amount,
          token: fact.token,
          status: "PENDING",
          attempts: 0,
          failure: null,
          lastError: null,
          reference: null,
          requestedAt: fact.at,
          settledAt: null,
          refund: null,
        },
        work: { operation: "charge", dueAt: fact.at, inFlight: false, inDoubt: false, doubtUntil: null },
      };
    case "ChargeVoided":
      return settle(state, { status: "VOIDED", settledAt: fact.at });
    case "GatewayCallStarted": {
      const work = {
        operation: fact.operation === "refund" ? "refund" : "charge",
        dueAt: fact.leaseUntil,
        inFlight: true,
        // A charge sent may land until its lease ends; a lookup or refund leaves the doubt as it was.
        inDoubt: fact.operation === "charge" || (state.work?.inDoubt ?? false),
        doubtUntil: fact.operation === "charge" ? fact.leaseUntil : (state.work?.doubtUntil ?? null),
      } as const;
      return fact.operation === "refund"
        ? withPayment({ ...state, work }, (p) => ({
            ...p,
            refund: p.refund && { ...p.refund, attempts: p.refund.attempts + 1 },
          }))
        : withPayment({ ...state, work }, (p) => ({ ...p, attempts: p.attempts + 1 }));
    }
    case "GatewayCallFailed":
      return withPayment(
        {
          ...state,
          work: state.work && { ...state.work, dueAt: fact.retryAt, inFlight: false, inDoubt: fact.inDoubt },
        },
        (p) => ({ ...p, lastError: fact.error }),
      );
    case "ChargeSucceeded":
      return settle(state, { status: "PROCESSED", reference: fact.reference, settledAt: fact.at });
    case "ChargeDeclined":
      return settle(state, {
        status: "FAILED",
        failure: { reason: fact.reason, detail: fact.detail },
        settledAt: fact.at,
      });
    case "RefundRequested":
      return withPayment(
        {
          ...state,
          work: { operation: "refund", dueAt: fact.at, inFlight: false, inDoubt: false, doubtUntil: null },
        },
        (p) => ({
          ...p,
          refund: { status: "PENDING", attempts: 0, requestedAt: fact.at, refundedAt: null, reference: null },
        }),
      );
    case "RefundSucceeded":
      return withPayment({ ...state, work: null }, (p) => ({
        ...p,
        status: "REFUNDED",
        refund: p.refund && {
          ...p.refund,
          status: "REFUNDED",
          refundedAt: fact.at,
          reference: fact.reference,
        },
      }));
  }
}

function settle(state: PaymentState, change: Partial<Payment>): PaymentState {
  return withPayment({ ...state, work: null }, (p) => ({ ...p, ...change }));
}

function withPayment(state: PaymentState, change: (payment: Payment) => Payment): PaymentState {
  if (!state.payment) throw new Error(`order ${state.orderId} has no payment to change`);
  return { ...state, payment: change(state.payment) };
}
