import { sampleEvent } from "@herald/events/testing";
import { foldFacts } from "@herald/service-kit/decider";
import { deciderSpec } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { InventoryError } from "../errors.js";
import { announce, stockChanges } from "./decide.js";
import { reservationDecider } from "./decider.js";
import { type ConsumedEvent, noReservation, type ReservationFact, type StockLevel } from "./domain.js";

const ORDER = "6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f";
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const orderLines = [
  { sku: "MUG", quantity: 2, unitPrice: eur(1290) },
  { sku: "TEE", quantity: 1, unitPrice: eur(2490) },
];
const held = [
  { sku: "MUG", quantity: 2 },
  { sku: "TEE", quantity: 1 },
];

const placed = (lines = orderLines): ConsumedEvent => sampleEvent("OrderPlaced", { orderId: ORDER, lines });
const confirmed = (): ConsumedEvent => sampleEvent("OrderConfirmed", { orderId: ORDER, lines: orderLines });
const cancelled = (): ConsumedEvent =>
  sampleEvent("OrderCancelled", {
    orderId: ORDER,
    lines: orderLines,
    reason: "CUSTOMER_REQUEST",
    detail: null,
  });
const paymentFailed = (): ConsumedEvent => sampleEvent("PaymentFailed", { orderId: ORDER });

const reserved: ReservationFact = { type: "Reserved", lines: held };
const sold: ReservationFact = { type: "Sold", lines: held };
const released: ReservationFact = { type: "Released", lines: held };
const restocked: ReservationFact = { type: "Restocked", lines: held };
const cancelledFirst: ReservationFact = { type: "CancelledBeforePlaced" };
const failed: ReservationFact = {
  type: "ReservationFailed",
  lines: held,
  shortages: [{ sku: "TEE", requested: 1, available: 0 }],
};

const level = (sku: string, onHand: number, reservedUnits = 0): [string, StockLevel] => [
  sku,
  { sku, onHand, reserved: reservedUnits },
];
const plenty = new Map([level("MUG", 10), level("TEE", 5)]);

/** Given these past facts, when this event arrives (on this stock: plenty unless said), then exactly these facts. */
const given = deciderSpec(reservationDecider, { id: ORDER, context: plenty });
const stock = (...levels: [string, StockLevel][]) => new Map(levels);

describe("placing an order", () => {
  it("reserves every line when each is available", () => {
    given().when(placed()).thenDecides(reserved);
  });

  it("reserves the very last units", () => {
    given()
      .when(placed(), stock(level("MUG", 7, 5), level("TEE", 1)))
      .thenDecides(reserved);
  });

  it("reserves nothing when one line is short, naming it with requested and available units", () => {
    given()
      .when(placed(), stock(level("MUG", 10), level("TEE", 3, 3)))
      .thenDecides(failed);
  });

  it("names every short line, an unknown SKU with 0 available", () => {
    given()
      .when(placed(), stock(level("MUG", 3, 2)))
      .thenDecides({
        type: "ReservationFailed",
        lines: held,
        shortages: [
          { sku: "MUG", requested: 2, available: 1 },
          { sku: "TEE", requested: 1, available: 0 },
        ],
      });
  });

  it("adds up a SKU that a message repeats", () => {
    given()
      .when(
        placed([...orderLines, { sku: "MUG", quantity: 2, unitPrice: eur(1290) }]),
        stock(level("MUG", 3), level("TEE", 1)),
      )
      .thenDecides({
        type: "ReservationFailed",
        lines: [
          { sku: "MUG", quantity: 4 },
          { sku: "TEE", quantity: 1 },
        ],
        shortages: [{ sku: "MUG", requested: 4, available: 3 }],
      });
  });

  it.each([0, -3])("refuses a line of %s units (it would add stock), not to be retried", (quantity) => {
    const refusal = given()
      .when(placed([{ sku: "MUG", quantity, unitPrice: eur(1290) }]))
      .thenRefused(
        InventoryError,
        "INVENTORY_INVALID_EVENT",
        /lines\/0\/quantity must be a positive integer/,
      );
    expect(refusal).toMatchObject({ retryable: false });
  });

  it("refuses an order without lines", () => {
    const refusal = given()
      .when(placed([]))
      .thenRefused(InventoryError, "INVENTORY_INVALID_EVENT", /has no lines/);
    expect(refusal).toMatchObject({ retryable: false });
  });
});

describe("after the reservation", () => {
  it("releases what the order holds when its payment fails", () => {
    given(reserved).when(paymentFailed()).thenDecides(released);
  });

  it("releases what the order holds when it is cancelled", () => {
    given(reserved).when(cancelled()).thenDecides(released);
  });

  it("turns the reservation into a sale when the order is confirmed", () => {
    given(reserved).when(confirmed()).thenDecides(sold);
  });

  it("puts the units back on the shelf when a sold order is cancelled", () => {
    given(reserved, sold).when(cancelled()).thenDecides(restocked);
  });
});

describe("repeated events change nothing", () => {
  it("reserves an order once, whatever the event id of the repeat", () => {
    given(reserved).when(placed()).thenDecides();
    given(failed).when(placed()).thenDecides();
  });

  it("releases once", () => {
    given(reserved, released).when(paymentFailed()).thenDecides();
    given(reserved, released).when(cancelled()).thenDecides();
  });

  it("sells once and restocks once", () => {
    given(reserved, sold).when(confirmed()).thenDecides();
    given(reserved, sold, restocked).when(cancelled()).thenDecides();
  });

  it("remembers a cancellation once", () => {
    given(cancelledFirst).when(cancelled()).thenDecides();
  });
});

describe("late and out-of-order events", () => {
  it("remembers a cancellation that arrives before the order, and never reserves it later", () => {
    given().when(cancelled()).thenDecides(cancelledFirst);
    given(cancelledFirst).when(placed()).thenDecides();
  });

  it("does not release or sell what an order that could not be reserved never held", () => {
    given(failed).when(paymentFailed()).thenDecides();
    given(failed).when(cancelled()).thenDecides();
    given(failed).when(confirmed()).thenDecides();
  });

  it("cancelling after the payment failure released the stock releases nothing more", () => {
    given(reserved, released).when(cancelled()).thenDecides();
  });

  it("does not sell what was already released", () => {
    given(reserved, released).when(confirmed()).thenDecides();
  });

  it("ignores a payment failure after the sale", () => {
    given(reserved, sold).when(paymentFailed()).thenDecides();
  });

  it("ignores a confirmation or a payment failure for an order it never saw placed", () => {
    given().when(confirmed()).thenDecides();
    given().when(paymentFailed()).thenDecides();
    given(cancelledFirst).when(confirmed()).thenDecides();
    given(cancelledFirst).when(paymentFailed()).thenDecides();
  });

  it("ignores a confirmation after the restock", () => {
    given(reserved, sold, restocked).when(confirmed()).thenDecides();
  });
});

describe("what a fact does to the stock and who hears of it", () => {
  it("a reservation holds units, a release frees them, a sale takes them off the shelf, a restock puts them back", () => {
    expect(stockChanges(reserved)).toEqual([
      { sku: "MUG", onHand: 0, reserved: 2 },
      { sku: "TEE", onHand: 0, reserved: 1 },
    ]);
    expect(stockChanges(released)).toEqual([
      { sku: "MUG", onHand: 0, reserved: -2 },
      { sku: "TEE", onHand: 0, reserved: -1 },
    ]);
    expect(stockChanges(sold)).toEqual([
      { sku: "MUG", onHand: -2, reserved: -2 },
      { sku: "TEE", onHand: -1, reserved: -1 },
    ]);
    expect(stockChanges(restocked)).toEqual([
      { sku: "MUG", onHand: 2, reserved: 0 },
      { sku: "TEE", onHand: 1, reserved: 0 },
    ]);
    expect(stockChanges(failed)).toEqual([]);
    expect(stockChanges(cancelledFirst)).toEqual([]);
  });

  it("announces reservations, failures, releases and restocks; a sale and an early cancel stay internal", () => {
    expect(announce(reserved, ORDER)).toEqual([
      { type: "InventoryReserved", data: { orderId: ORDER, lines: held } },
    ]);
    expect(announce(failed, ORDER)).toEqual([
      {
        type: "InventoryReservationFailed",
        data: { orderId: ORDER, unavailableSkus: [{ sku: "TEE", requested: 1, available: 0 }] },
      },
    ]);
    expect(announce(released, ORDER)).toEqual([
      { type: "InventoryReleased", data: { orderId: ORDER, lines: held } },
    ]);
    expect(announce(restocked, ORDER)).toEqual([
      { type: "InventoryReleased", data: { orderId: ORDER, lines: held } },
    ]);
    expect(announce(sold, ORDER)).toEqual([]);
    expect(announce(cancelledFirst, ORDER)).toEqual([]);
  });

  it("folds a whole life: reserved, sold, restocked", () => {
    expect(foldFacts(reservationDecider, noReservation(ORDER), [reserved, sold, restocked])).toEqual({
      orderId: ORDER,
      status: "RESTOCKED",
      lines: held,
      shortages: [],
    });
    expect(foldFacts(reservationDecider, noReservation(ORDER), [failed])).toMatchObject({
      status: "FAILED",
      shortages: failed.shortages,
    });
  });
});
