import { describe, expect, it } from "vitest";
import { OrderError } from "../errors.js";
import {
  cancelled,
  cancelledDraft,
  confirmed,
  confirmedDraft,
  eur,
  given,
  inventoryReserved,
  metadata,
  ORDER,
  paymentFailed,
  paymentProcessed,
  placed,
  reservationFailed,
} from "../testing/decide-fixtures.js";
import type { SagaEvent } from "./domain.js";

/**
 * `decide` on the saga's facts about an order: the reactions (duplicated, out of order, late), and
 * the cross-check of each fact against the order it is about.
 */

describe("the saga reactions", () => {
  it("confirms a placed order once its payment is processed", () => {
    given(placed()).when(paymentProcessed()).thenDecides(confirmedDraft);
  });

  it("waits, with nothing to do, when stock is reserved", () => {
    given(placed()).when(inventoryReserved()).thenDecides();
  });

  it("cancels when the stock cannot be reserved, saying what was short", () => {
    given(placed())
      .when(reservationFailed())
      .thenDecides(cancelledDraft("OUT_OF_STOCK", "TEE: 1 requested, 0 available"));
  });

  it("cancels when the payment fails, saying why", () => {
    given(placed())
      .when(paymentFailed())
      .thenDecides(cancelledDraft("PAYMENT_FAILED", "CARD_DECLINED: issuer said no"));
  });

  describe("duplicates", () => {
    it("confirms only once", () => {
      given(placed(), confirmed()).when(paymentProcessed()).thenDecides();
    });

    it("cancels only once", () => {
      given(placed(), cancelled("OUT_OF_STOCK")).when(reservationFailed()).thenDecides();
      given(placed(), cancelled("PAYMENT_FAILED")).when(paymentFailed()).thenDecides();
    });
  });

  describe("out of order", () => {
    it("ignores a reservation that arrives after the payment already confirmed the order", () => {
      given(placed(), confirmed()).when(inventoryReserved()).thenDecides();
    });

    it("ignores a payment failure after the stock shortage already cancelled the order", () => {
      given(placed(), cancelled("OUT_OF_STOCK")).when(paymentFailed()).thenDecides();
    });

    it("keeps a confirmed order confirmed whatever contradicting news arrives late", () => {
      given(placed(), confirmed()).when(paymentFailed()).thenDecides();
      given(placed(), confirmed()).when(reservationFailed()).thenDecides();
    });
  });

  describe("late", () => {
    it("keeps an order the customer cancelled cancelled when its payment succeeds afterwards", () => {
      // The payment service refunds on OrderCancelled; the order itself has nothing more to say.
      given(placed(), cancelled("CUSTOMER_REQUEST")).when(paymentProcessed()).thenDecides();
    });

    it("ignores a payment failure for an order the customer cancelled", () => {
      given(placed(), cancelled("CUSTOMER_REQUEST")).when(paymentFailed()).thenDecides();
    });

    it("ignores events about an order it does not know", () => {
      for (const event of [inventoryReserved(), reservationFailed(), paymentProcessed(), paymentFailed()])
        given().when(event).thenDecides();
    });
  });
});

describe("cross-checking the saga's facts against the order", () => {
  const processed = (amount: { amountMinor: number; currency: string }): SagaEvent => ({
    type: "PaymentProcessed",
    data: { metadata: metadata(), orderId: ORDER, paymentId: "pay-1", amount },
  });
  const reserved = (reservedLines: { sku: string; quantity: number }[]): SagaEvent => ({
    type: "InventoryReserved",
    data: { metadata: metadata(), orderId: ORDER, lines: reservedLines },
  });

  it("confirms on a payment of exactly the order's total", () => {
    given(placed())
      .when(processed(eur(5070)))
      .thenDecides(confirmedDraft);
  });

  it("refuses a payment of another amount or currency as a poison fact, whatever the order's status", () => {
    for (const amount of [eur(5069), eur(1), { amountMinor: 5070, currency: "USD" }]) {
      const error = given(placed())
        .when(processed(amount))
        .thenRefused(OrderError, "ORDER_SAGA_FACT_MISMATCH", /PaymentProcessed .* does not match/);
      expect(error.retryable).toBe(false);
      given(placed(), confirmed())
        .when(processed(amount))
        .thenRefused(OrderError, "ORDER_SAGA_FACT_MISMATCH");
      given(placed(), cancelled("CUSTOMER_REQUEST"))
        .when(processed(amount))
        .thenRefused(OrderError, "ORDER_SAGA_FACT_MISMATCH");
    }
  });

  it("refuses a payment about another order", () => {
    const other: SagaEvent = {
      type: "PaymentProcessed",
      data: {
        metadata: metadata(),
        orderId: "00000000-0000-4000-8000-00000000beef",
        paymentId: "pay-1",
        amount: eur(5070),
      },
    };
    given(placed()).when(other).thenRefused(OrderError, "ORDER_SAGA_FACT_MISMATCH", /order/);
  });

  it("accepts a reservation of exactly the order's lines, in any order", () => {
    given(placed())
      .when(
        reserved([
          { sku: "TEE", quantity: 1 },
          { sku: "MUG", quantity: 2 },
        ]),
      )
      .thenDecides();
  });

  it("refuses a reservation of other SKUs or quantities as a poison fact", () => {
    const wrong = [
      [{ sku: "MUG", quantity: 2 }],
      [
        { sku: "MUG", quantity: 1 },
        { sku: "TEE", quantity: 1 },
      ],
      [
        { sku: "MUG", quantity: 2 },
        { sku: "TEE", quantity: 1 },
        { sku: "HAT", quantity: 1 },
      ],
      [
        { sku: "MUG", quantity: 2 },
        { sku: "CAP", quantity: 1 },
      ],
      [
        { sku: "MUG", quantity: 2 },
        { sku: "MUG", quantity: 2 },
        { sku: "TEE", quantity: 1 },
      ],
    ];
    for (const reservedLines of wrong) {
      const error = given(placed())
        .when(reserved(reservedLines))
        .thenRefused(OrderError, "ORDER_SAGA_FACT_MISMATCH", /InventoryReserved .* does not match/);
      expect(error.retryable).toBe(false);
    }
  });

  it("still ignores facts about an order it does not know (nothing to check them against)", () => {
    given()
      .when(processed(eur(1)))
      .thenDecides();
    given()
      .when(reserved([{ sku: "HAT", quantity: 9 }]))
      .thenDecides();
  });
});
