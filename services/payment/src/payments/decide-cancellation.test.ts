import { describe, expect, it } from "vitest";
import {
  charged,
  charging,
  given,
  LEASE,
  orderCancelled,
  requested,
  result,
  start,
  started,
  succeeded,
  T0,
  terms,
  unavailable,
} from "../testing/decide-fixtures.js";

/**
 * `decide` when the order is cancelled: a charge voided, finished and refunded, or looked up when
 * in doubt.
 */

describe("cancellation", () => {
  it("voids a requested charge that was never sent", () => {
    given(terms, { type: "ReservationRecorded" }, requested())
      .when(orderCancelled())
      .thenDecides({ type: "CancellationRecorded" }, { type: "ChargeVoided", at: T0 });
  });

  it("voids a charge whose last attempt the processor refused (nothing was charged)", () => {
    given(...charging, { type: "GatewayCallFailed", error: "busy", retryAt: T0 + 500, inDoubt: false })
      .when(orderCancelled())
      .thenDecides({ type: "CancellationRecorded" }, { type: "ChargeVoided", at: T0 });
  });

  it("lets a charge in flight finish, and refunds it if it went through", () => {
    given(...charging)
      .when(orderCancelled())
      .thenDecides({ type: "CancellationRecorded" });
    const cancelledInFlight = [...charging, { type: "CancellationRecorded" } as const];
    given(...cancelledInFlight)
      .when(result("charge", succeeded))
      .thenDecides(
        { type: "ChargeSucceeded", reference: "ch_1", at: T0 },
        { type: "RefundRequested", at: T0 },
      );
    given(...cancelledInFlight)
      .when(result("charge", unavailable))
      .thenDecides({ type: "ChargeVoided", at: T0 });
  });

  it("asks the processor about a charge in doubt after a crash instead of charging anew", () => {
    const crashed = [...charging, { type: "CancellationRecorded" } as const];
    given(...crashed)
      .when(start(), T0 + LEASE)
      .thenDecides(started("lookup", T0 + LEASE));
    const lookingUp = [...crashed, started("lookup", T0 + LEASE)];
    given(...lookingUp)
      .when(result("lookup", { status: "not_found" }), T0 + LEASE)
      .thenDecides({ type: "ChargeVoided", at: T0 + LEASE });
    given(...lookingUp)
      .when(result("lookup", succeeded))
      .thenDecides(
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
      .thenDecides({
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
      .thenDecides();
    given(...lookingAgain)
      .when(start(), T0 + LEASE)
      .thenDecides(started("lookup", T0 + LEASE));
    // The late charge is found by its key and paid back; none found once the window closed voids it.
    given(...lookingAgain, started("lookup", T0 + LEASE))
      .when(result("lookup", succeeded), T0 + LEASE + 1)
      .thenDecides(
        { type: "ChargeSucceeded", reference: "ch_1", at: T0 + LEASE + 1 },
        { type: "RefundRequested", at: T0 + LEASE + 1 },
      );
    given(...lookingAgain, started("lookup", T0 + LEASE))
      .when(result("lookup", { status: "not_found" }), T0 + LEASE + 1)
      .thenDecides({ type: "ChargeVoided", at: T0 + LEASE + 1 });
  });

  it("refunds a processed payment once, with its own gateway call, and announces PaymentRefunded", () => {
    given(...charged)
      .when(orderCancelled())
      .thenDecides({ type: "CancellationRecorded" }, { type: "RefundRequested", at: T0 });
    const refunding = [
      ...charged,
      { type: "CancellationRecorded" } as const,
      { type: "RefundRequested", at: T0 } as const,
    ];
    given(...refunding)
      .when(orderCancelled())
      .thenDecides();
    given(...refunding)
      .when(start())
      .thenDecides(started("refund"));
    const refund = given(...refunding, started("refund")).when(
      result("refund", { status: "succeeded", reference: "re_1" }),
    );
    refund.thenDecides({ type: "RefundSucceeded", reference: "re_1", at: T0 });
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
      .thenDecides({ type: "GatewayCallFailed", error: "gateway busy", retryAt: T0 + 500, inDoubt: false });
  });

  it("does nothing for a cancellation after a failed or voided payment", () => {
    given(...charging, { type: "ChargeDeclined", reason: "CARD_DECLINED", detail: null, at: T0 })
      .when(orderCancelled())
      .thenDecides({ type: "CancellationRecorded" });
  });
});
