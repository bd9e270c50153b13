import type { Metadata } from "@herald/events";
import { shippingAddress } from "@herald/events/testing";
import { deciderSpec } from "@herald/service-kit/testing";
import { expect } from "vitest";
import { announcements } from "../payments/decide.js";
import { paymentDecider } from "../payments/decider.js";
import type {
  ConsumedEvent,
  DecisionContext,
  GatewayOperation,
  GatewayOutcome,
  PaymentFact,
  WorkerCommand,
} from "../payments/domain.js";

/**
 * One order's payment for the domain core's unit tests: the events it consumes, the worker's
 * commands and the gateway's answers, the facts recorded on the way, and the Given/When/Then that
 * runs `decide` on them.
 */

export const ORDER = "6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f";
export const PAYMENT = "0b7d4c1e-8a2f-4e6b-9c3d-5f1a2b3c4d5e";
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const LEASE = 20_000;
export const RETRY = { maxAttempts: 3, initialMs: 500, maxMs: 4_000 };
export const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
export const metadata = (): Metadata => ({
  eventId: "00000000-0000-4000-8000-000000000001",
  occurredAt: T0,
  correlationId: "saga-1",
  causationId: null,
  producer: "test",
  traceparent: null,
});

/** What every event about the order as a whole carries. */
const order = {
  orderId: ORDER,
  customerId: "cust-1",
  customerEmail: "ada@example.com",
  lines: [{ sku: "MUG", quantity: 2, unitPrice: eur(1290) }],
  total: eur(2580),
};

export const orderPlaced = (token = "tok_visa"): ConsumedEvent => ({
  type: "OrderPlaced",
  data: {
    metadata: metadata(),
    ...order,
    paymentMethodToken: token,
    shippingAddress: shippingAddress(),
  },
});
export const inventoryReserved = (): ConsumedEvent => ({
  type: "InventoryReserved",
  data: { metadata: metadata(), orderId: ORDER, lines: [{ sku: "MUG", quantity: 2 }] },
});
export const orderCancelled = (): ConsumedEvent => ({
  type: "OrderCancelled",
  data: {
    metadata: metadata(),
    ...order,
    reason: "CUSTOMER_REQUEST",
    detail: null,
  },
});

export const start = (): WorkerCommand => ({ type: "StartGatewayCall", leaseMs: LEASE });
export const result = (operation: GatewayOperation, outcome: GatewayOutcome): WorkerCommand => ({
  type: "RecordGatewayResult",
  operation,
  outcome,
  retry: RETRY,
});
export const succeeded = { status: "succeeded", reference: "ch_1" } as const;
export const declined = {
  status: "declined",
  reason: "CARD_DECLINED",
  detail: "the issuer declined",
} as const;
export const unavailable = { status: "unavailable", error: "gateway busy", definite: true } as const;
export const timedOut = { status: "unavailable", error: "no answer in 10 s", definite: false } as const;

export const terms = { type: "OrderTermsRecorded", amount: eur(2580), token: "tok_visa" } as const;
export const requested = (at = T0) =>
  ({ type: "ChargeRequested", paymentId: PAYMENT, amount: eur(2580), token: "tok_visa", at }) as const;
export const started = (operation: GatewayOperation, at = T0) =>
  ({ type: "GatewayCallStarted", operation, at, leaseUntil: at + LEASE }) as const;

/** What a decision reads at `now`: the time, and the id a new payment gets. */
export const at = (now: number): DecisionContext => ({ now, newPaymentId: () => PAYMENT });

const decision = deciderSpec(paymentDecider, { id: ORDER, context: at(T0) });

/**
 * Given these recorded facts, when this happens at `now`, then exactly these new facts
 * (`thenDecides`) and these announcements (`thenAnnounces`, the published events' types).
 */
export function given(...facts: PaymentFact[]) {
  const past = decision(...facts);
  return {
    when: (input: ConsumedEvent | WorkerCommand, now = T0) => {
      const outcome = past.when(input, at(now));
      return Object.assign(outcome, {
        thenAnnounces: (...types: string[]) =>
          expect(announcements(outcome.facts, outcome.state).map((event) => event.type)).toEqual(types),
      });
    },
  };
}

/** A charge in flight: terms, reservation, request and the call started. */
export const charging = [terms, { type: "ReservationRecorded" }, requested(), started("charge")] as const;
export const charged = [...charging, { type: "ChargeSucceeded", reference: "ch_1", at: T0 } as const];
/** {@link charging} after `count` attempts that each timed out, with the charge's outcome unknown. */
export function chargingAfterTimeouts(count: number): PaymentFact[] {
  const facts: PaymentFact[] = [...charging];
  for (let attempt = 1; attempt <= count; attempt++)
    facts.push(
      { type: "GatewayCallFailed", error: "timeout", retryAt: attempt, inDoubt: true },
      started("charge", attempt),
    );
  return facts;
}
