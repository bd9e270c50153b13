import type { Metadata } from "@herald/events";
import { describe, expect, it } from "vitest";
import { announcements, backoff, decide } from "./decide.js";
import {
  type ConsumedEvent,
  type GatewayOperation,
  type GatewayOutcome,
  initialState,
  type PaymentFact,
  type PaymentState,
  type WorkerCommand,
} from "./domain.js";
import { fold } from "./evolve.js";

const ORDER = "6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f";
const PAYMENT = "0b7d4c1e-8a2f-4e6b-9c3d-5f1a2b3c4d5e";
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const LEASE = 20_000;
const RETRY = { maxAttempts: 3, initialMs: 500, maxMs: 4_000 };
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const metadata = (): Metadata => ({
  eventId: "00000000-0000-4000-8000-000000000001",
  occurredAt: T0,
  correlationId: "saga-1",
  causationId: null,
  producer: "test",
  traceparent: null,
});

const orderPlaced = (token = "tok_visa"): ConsumedEvent => ({
  type: "OrderPlaced",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    customerId: "cust-1",
    customerEmail: "ada@example.com",
    lines: [{ sku: "MUG", quantity: 2, unitPrice: eur(1290) }],
    total: eur(2580),
    paymentMethodToken: token,
    shippingAddress: {
      recipientName: "Ada Lovelace",
      line1: "1 Analytical Way",
      line2: null,
      city: "London",
      postalCode: "N1 9GU",
      region: null,
      country: "GB",
    },
  },
});
const inventoryReserved = (): ConsumedEvent => ({
  type: "InventoryReserved",
  data: { metadata: metadata(), orderId: ORDER, lines: [{ sku: "MUG", quantity: 2 }] },
});
const orderCancelled = (): ConsumedEvent => ({
  type: "OrderCancelled",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    customerId: "cust-1",
    customerEmail: "ada@example.com",
    lines: [{ sku: "MUG", quantity: 2, unitPrice: eur(1290) }],
    total: eur(2580),
    reason: "CUSTOMER_REQUEST",
    detail: null,
  },
});

const start = (): WorkerCommand => ({ type: "StartGatewayCall", leaseMs: LEASE });
const result = (operation: GatewayOperation, outcome: GatewayOutcome): WorkerCommand => ({
  type: "RecordGatewayResult",
  operation,
  outcome,
  retry: RETRY,
});
const succeeded = { status: "succeeded", reference: "ch_1" } as const;
const declined = { status: "declined", reason: "CARD_DECLINED", detail: "the issuer declined" } as const;
const unavailable = { status: "unavailable", error: "gateway busy", definite: true } as const;
const timedOut = { status: "unavailable", error: "no answer in 10 s", definite: false } as const;

const terms = { type: "OrderTermsRecorded", amount: eur(2580), token: "tok_visa" } as const;
const requested = (at = T0) =>
  ({ type: "ChargeRequested", paymentId: PAYMENT, amount: eur(2580), token: "tok_visa", at }) as const;
const started = (operation: GatewayOperation, at = T0) =>
  ({ type: "GatewayCallStarted", operation, at, leaseUntil: at + LEASE }) as const;

/** Given these recorded facts, when this happens at `now`, then exactly these new facts. */
function given(...facts: PaymentFact[]) {
  const state: PaymentState = fold(initialState(ORDER), facts);
  return {
    when: (input: ConsumedEvent | WorkerCommand, now = T0) => {
      const emitted = decide(input, state, { now, newPaymentId: () => PAYMENT });
      return {
        thenRecords: (...expected: PaymentFact[]) => expect(emitted).toEqual(expected),
        thenAnnounces: (...types: string[]) =>
          expect(announcements(emitted, fold(state, emitted)).map((e) => e.type)).toEqual(types),
        state: fold(state, emitted),
      };
    },
  };
}

/** A charge in flight: terms, reservation, request and the call started. */
const charging = [terms, { type: "ReservationRecorded" }, requested(), started("charge")] as const;
const charged = [...charging, { type: "ChargeSucceeded", reference: "ch_1", at: T0 } as const];

describe("requesting the charge", () => {
  it("remembers the amount and token, and charges nothing before the reservation", () => {
    given().when(orderPlaced()).thenRecords(terms);
  });

  it("charges once the reservation arrives after the order", () => {
    given(terms).when(inventoryReserved()).thenRecords({ type: "ReservationRecorded" }, requested());
  });

  it("charges once the order arrives after the reservation, never an unknown amount", () => {
    given().when(inventoryReserved()).thenRecords({ type: "ReservationRecorded" });
    given({ type: "ReservationRecorded" }).when(orderPlaced()).thenRecords(terms, requested());
  });

  it("ignores a repeated OrderPlaced or InventoryReserved, even with another amount", () => {
    given(terms).when(orderPlaced("tok_declined")).thenRecords();
    given(...charging)
      .when(inventoryReserved())
      .thenRecords();
    given(...charging)
      .when(orderPlaced())
      .thenRecords();
  });

  it("never charges an order cancelled first", () => {
    given().when(orderCancelled()).thenRecords({ type: "CancellationRecorded" });
    const cancelled = { type: "CancellationRecorded" } as const;
    given(cancelled).when(orderPlaced()).thenRecords(terms);
    given(cancelled, terms).when(inventoryReserved()).thenRecords({ type: "ReservationRecorded" });
  });
});

describe("calling the gateway", () => {
  it("starts a charge that is due, under a lease", () => {
    given(terms, { type: "ReservationRecorded" }, requested())
      .when(start(), T0 + 1)
      .thenRecords(started("charge", T0 + 1));
  });

  it("leaves a call in flight alone until its lease runs out, then calls again with the same key", () => {
    given(...charging)
      .when(start(), T0 + LEASE - 1)
      .thenRecords();
    const { state } = given(...charging).when(start(), T0 + LEASE);
    expect(state.payment).toMatchObject({ status: "PENDING", attempts: 2 });
  });

  it("records a success and announces PaymentProcessed", () => {
    given(...charging)
      .when(result("charge", succeeded))
      .thenRecords({ type: "ChargeSucceeded", reference: "ch_1", at: T0 });
    given(...charging)
      .when(result("charge", succeeded))
      .thenAnnounces("PaymentProcessed");
  });

  it("records a decline with its reason and announces PaymentFailed", () => {
    given(...charging)
      .when(result("charge", declined))
      .thenRecords({
        type: "ChargeDeclined",
        reason: "CARD_DECLINED",
        detail: "the issuer declined",
        at: T0,
      });
    const { state } = given(...charging).when(result("charge", declined));
    expect(state.payment).toMatchObject({ status: "FAILED", failure: { reason: "CARD_DECLINED" } });
    given(...charging)
      .when(result("charge", declined))
      .thenAnnounces("PaymentFailed");
  });

  it("retries a transient failure with exponential backoff, then succeeds after two attempts", () => {
    const failed = given(...charging).when(result("charge", unavailable), T0 + 10);
    failed.thenRecords({
      type: "GatewayCallFailed",
      error: "gateway busy",
      retryAt: T0 + 510,
      inDoubt: false,
    });
    failed.thenAnnounces();
    const retried = [
      ...charging,
      { type: "GatewayCallFailed", error: "gateway busy", retryAt: T0 + 510, inDoubt: false },
    ] as const;
    given(...retried)
      .when(start(), T0 + 509)
      .thenRecords();
    given(...retried)
      .when(start(), T0 + 510)
      .thenRecords(started("charge", T0 + 510));
    const { state } = given(...retried, started("charge", T0 + 510)).when(result("charge", succeeded));
    expect(state.payment).toMatchObject({ status: "PROCESSED", attempts: 2, lastError: "gateway busy" });
    expect(state.work).toBeNull();
  });

  it("gives up after maxAttempts answered failures: PaymentFailed(OTHER)", () => {
    const failedAt = (at: number) =>
      ({ type: "GatewayCallFailed", error: "gateway busy", retryAt: at, inDoubt: false }) as const;
    const facts = [...charging, failedAt(1), started("charge", 1), failedAt(2), started("charge", 2)];
    given(...facts)
      .when(result("charge", unavailable))
      .thenRecords({
        type: "ChargeDeclined",
        reason: "OTHER",
        detail: "payment gateway unavailable after 3 attempts: gateway busy",
        at: T0,
      });
  });

  it("never gives up on a charge whose outcome is unknown: only the same key can settle it", () => {
    const facts: PaymentFact[] = [...charging];
    for (let attempt = 1; attempt < 6; attempt++)
      facts.push(
        { type: "GatewayCallFailed", error: "timeout", retryAt: attempt, inDoubt: true },
        started("charge", attempt),
      );
    given(...facts)
      .when(result("charge", timedOut), 100)
      .thenRecords({
        type: "GatewayCallFailed",
        error: "no answer in 10 s",
        retryAt: 100 + 4_000,
        inDoubt: true,
      });
  });

  it("ignores a stale result once the charge is settled", () => {
    given(...charged)
      .when(result("charge", declined))
      .thenRecords();
    given(...charged)
      .when(start(), T0 + LEASE * 2)
      .thenRecords();
  });

  it("fails a charge the processor rejects for good (a 4xx), instead of retrying it", () => {
    const rejected = {
      status: "rejected",
      reason: "INVALID_PAYMENT_METHOD",
      error: "no such payment token",
    } as const;
    const failed = given(...charging).when(result("charge", rejected));
    failed.thenRecords({
      type: "ChargeDeclined",
      reason: "INVALID_PAYMENT_METHOD",
      detail: "no such payment token",
      at: T0,
    });
    failed.thenAnnounces("PaymentFailed");
    // The processor did nothing: a cancelled order has nothing in doubt left to settle.
    given(...charging, { type: "CancellationRecorded" })
      .when(result("charge", rejected))
      .thenRecords({ type: "ChargeVoided", at: T0 });
  });

  it("backs off exponentially up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoff(n, RETRY))).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});

describe("cancellation", () => {
  it("voids a requested charge that was never sent", () => {
    given(terms, { type: "ReservationRecorded" }, requested())
      .when(orderCancelled())
      .thenRecords({ type: "CancellationRecorded" }, { type: "ChargeVoided", at: T0 });
  });

  it("voids a charge whose last attempt the processor refused (nothing was charged)", () => {
    given(...charging, { type: "GatewayCallFailed", error: "busy", retryAt: T0 + 500, inDoubt: false })
      .when(orderCancelled())
      .thenRecords({ type: "CancellationRecorded" }, { type: "ChargeVoided", at: T0 });
  });

  it("lets a charge in flight finish, and refunds it if it went through", () => {
    given(...charging)
      .when(orderCancelled())
      .thenRecords({ type: "CancellationRecorded" });
    const cancelledInFlight = [...charging, { type: "CancellationRecorded" } as const];
    given(...cancelledInFlight)
      .when(result("charge", succeeded))
      .thenRecords(
        { type: "ChargeSucceeded", reference: "ch_1", at: T0 },
        { type: "RefundRequested", at: T0 },
      );
    given(...cancelledInFlight)
      .when(result("charge", unavailable))
      .thenRecords({ type: "ChargeVoided", at: T0 });
  });

  it("asks the processor about a charge in doubt after a crash instead of charging anew", () => {
    const crashed = [...charging, { type: "CancellationRecorded" } as const];
    given(...crashed)
      .when(start(), T0 + LEASE)
      .thenRecords(started("lookup", T0 + LEASE));
    const lookingUp = [...crashed, started("lookup", T0 + LEASE)];
    given(...lookingUp)
      .when(result("lookup", { status: "not_found" }), T0 + LEASE)
      .thenRecords({ type: "ChargeVoided", at: T0 + LEASE });
    given(...lookingUp)
      .when(result("lookup", succeeded))
      .thenRecords(
        { type: "ChargeSucceeded", reference: "ch_1", at: T0 },
        { type: "RefundRequested", at: T0 },
      );
    const { state } = given(...lookingUp).when(result("lookup", unavailable));
    expect(state.work).toMatchObject({ inDoubt: true, inFlight: false });
  });

  it("trusts no 'not found' while a timed-out charge could still land: it looks again once the call window closed", () => {
    // The charge started at T0 timed out; its key may reach the processor until its lease ends.
    const timedOutThenCancelled = [
      ...charging,
      { type: "GatewayCallFailed", error: "no answer", retryAt: T0 + 600, inDoubt: true } as const,
      { type: "CancellationRecorded" } as const,
      started("lookup", T0 + 600),
    ];
    given(...timedOutThenCancelled)
      .when(result("lookup", { status: "not_found" }), T0 + 700)
      .thenRecords({
        type: "GatewayCallFailed",
        error: "no charge under the key yet; a late one could still land",
        retryAt: T0 + LEASE,
        inDoubt: true,
      });
    const lookingAgain = [
      ...timedOutThenCancelled,
      {
        type: "GatewayCallFailed",
        error: "no charge under the key yet; a late one could still land",
        retryAt: T0 + LEASE,
        inDoubt: true,
      } as const,
    ];
    given(...lookingAgain)
      .when(start(), T0 + LEASE - 1)
      .thenRecords();
    given(...lookingAgain)
      .when(start(), T0 + LEASE)
      .thenRecords(started("lookup", T0 + LEASE));
    // The late charge is found by its key and paid back; none found once the window closed voids it.
    given(...lookingAgain, started("lookup", T0 + LEASE))
      .when(result("lookup", succeeded), T0 + LEASE + 1)
      .thenRecords(
        { type: "ChargeSucceeded", reference: "ch_1", at: T0 + LEASE + 1 },
        { type: "RefundRequested", at: T0 + LEASE + 1 },
      );
    given(...lookingAgain, started("lookup", T0 + LEASE))
      .when(result("lookup", { status: "not_found" }), T0 + LEASE + 1)
      .thenRecords({ type: "ChargeVoided", at: T0 + LEASE + 1 });
  });

  it("refunds a processed payment once, with its own gateway call, and announces PaymentRefunded", () => {
    given(...charged)
      .when(orderCancelled())
      .thenRecords({ type: "CancellationRecorded" }, { type: "RefundRequested", at: T0 });
    const refunding = [
      ...charged,
      { type: "CancellationRecorded" } as const,
      { type: "RefundRequested", at: T0 } as const,
    ];
    given(...refunding)
      .when(orderCancelled())
      .thenRecords();
    given(...refunding)
      .when(start())
      .thenRecords(started("refund"));
    const refund = given(...refunding, started("refund")).when(
      result("refund", { status: "succeeded", reference: "re_1" }),
    );
    refund.thenRecords({ type: "RefundSucceeded", reference: "re_1", at: T0 });
    refund.thenAnnounces("PaymentRefunded");
    expect(refund.state.payment).toMatchObject({
      status: "REFUNDED",
      refund: { status: "REFUNDED", attempts: 1, reference: "re_1" },
    });
  });

  it("keeps retrying a refund however often the gateway fails", () => {
    const refunding = [
      ...charged,
      { type: "CancellationRecorded" } as const,
      { type: "RefundRequested", at: T0 } as const,
      started("refund"),
    ];
    given(...refunding)
      .when(result("refund", unavailable))
      .thenRecords({ type: "GatewayCallFailed", error: "gateway busy", retryAt: T0 + 500, inDoubt: false });
  });

  it("does nothing for a cancellation after a failed or voided payment", () => {
    given(...charging, { type: "ChargeDeclined", reason: "CARD_DECLINED", detail: null, at: T0 })
      .when(orderCancelled())
      .thenRecords({ type: "CancellationRecorded" });
  });
});
