import { describe, expect, it } from "vitest";
import {
  charged,
  charging,
  chargingAfterTimeouts,
  declined,
  given,
  inventoryReserved,
  LEASE,
  orderCancelled,
  orderPlaced,
  requested,
  result,
  start,
  started,
  succeeded,
  T0,
  terms,
  timedOut,
  unavailable,
} from "../testing/decide-fixtures.js";

/**
 * `decide` charging an order: the charge requested once both the order and its stock are in, then
 * the gateway's calls and answers.
 */

describe("requesting the charge", () => {
  it("remembers the amount and token, and charges nothing before the reservation", () => {
    given().when(orderPlaced()).thenDecides(terms);
  });

  it("charges once the reservation arrives after the order", () => {
    given(terms).when(inventoryReserved()).thenDecides({ type: "ReservationRecorded" }, requested());
  });

  it("charges once the order arrives after the reservation, never an unknown amount", () => {
    given().when(inventoryReserved()).thenDecides({ type: "ReservationRecorded" });
    given({ type: "ReservationRecorded" }).when(orderPlaced()).thenDecides(terms, requested());
  });

  it("ignores a repeated OrderPlaced or InventoryReserved, even with another amount", () => {
    given(terms).when(orderPlaced("tok_declined")).thenDecides();
    given(...charging)
      .when(inventoryReserved())
      .thenDecides();
    given(...charging)
      .when(orderPlaced())
      .thenDecides();
  });

  it("never charges an order cancelled first", () => {
    given().when(orderCancelled()).thenDecides({ type: "CancellationRecorded" });
    const cancelled = { type: "CancellationRecorded" } as const;
    given(cancelled).when(orderPlaced()).thenDecides(terms);
    given(cancelled, terms).when(inventoryReserved()).thenDecides({ type: "ReservationRecorded" });
  });
});

describe("calling the gateway", () => {
  it("starts a charge that is due, under a lease", () => {
    given(terms, { type: "ReservationRecorded" }, requested())
      .when(start(), T0 + 1)
      .thenDecides(started("charge", T0 + 1));
  });

  it("leaves a call in flight alone until its lease runs out, then calls again with the same key", () => {
    given(...charging)
      .when(start(), T0 + LEASE - 1)
      .thenDecides();
    const { state } = given(...charging).when(start(), T0 + LEASE);
    expect(state.payment).toMatchObject({ status: "PENDING", attempts: 2 });
  });

  it("records a success and announces PaymentProcessed", () => {
    given(...charging)
      .when(result("charge", succeeded))
      .thenDecides({ type: "ChargeSucceeded", reference: "ch_1", at: T0 });
    given(...charging)
      .when(result("charge", succeeded))
      .thenAnnounces("PaymentProcessed");
  });

  it("records a decline with its reason and announces PaymentFailed", () => {
    given(...charging)
      .when(result("charge", declined))
      .thenDecides({
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
    failed.thenDecides({
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
      .thenDecides();
    given(...retried)
      .when(start(), T0 + 510)
      .thenDecides(started("charge", T0 + 510));
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
      .thenDecides({
        type: "ChargeDeclined",
        reason: "OTHER",
        detail: "payment gateway unavailable after 3 attempts: gateway busy",
        at: T0,
      });
  });

  it("never gives up on a charge whose outcome is unknown: only the same key can settle it", () => {
    given(...chargingAfterTimeouts(5))
      .when(result("charge", timedOut), 100)
      .thenDecides({
        type: "GatewayCallFailed",
        error: "no answer in 10 s",
        retryAt: 100 + 4_000,
        inDoubt: true,
      });
  });

  it("ignores a stale result once the charge is settled", () => {
    given(...charged)
      .when(result("charge", declined))
      .thenDecides();
    given(...charged)
      .when(start(), T0 + LEASE * 2)
      .thenDecides();
  });

  it("fails a charge the processor rejects for good (a 4xx), instead of retrying it", () => {
    const rejected = {
      status: "rejected",
      reason: "INVALID_PAYMENT_METHOD",
      error: "no such payment token",
    } as const;
    const failed = given(...charging).when(result("charge", rejected));
    failed.thenDecides({
      type: "ChargeDeclined",
      reason: "INVALID_PAYMENT_METHOD",
      detail: "no such payment token",
      at: T0,
    });
    failed.thenAnnounces("PaymentFailed");
    // The processor did nothing: a cancelled order has nothing in doubt left to settle.
    given(...charging, { type: "CancellationRecorded" })
      .when(result("charge", rejected))
      .thenDecides({ type: "ChargeVoided", at: T0 });
  });

  it("backs off exponentially up to the cap", () => {
    [500, 1_000, 2_000, 4_000, 4_000].forEach((wait, failedBefore) => {
      given(...chargingAfterTimeouts(failedBefore))
        .when(result("charge", timedOut), 100)
        .thenDecides({
          type: "GatewayCallFailed",
          error: "no answer in 10 s",
          retryAt: 100 + wait,
          inDoubt: true,
        });
    });
  });
});
