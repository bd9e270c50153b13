import { describe, expect, it } from "vitest";
import { OrderError } from "../errors.js";
import {
  cancelled,
  cancelledDraft,
  confirmed,
  given,
  ORDER,
  placed,
  placedData,
  placeOrder,
} from "../testing/decide-fixtures.js";
import type { OrderCommand } from "./domain.js";

/** `decide` on the customer's commands: placing an order, and cancelling it on their request. */

describe("placing an order", () => {
  it("prices every line from the catalog and totals it", () => {
    given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 2 },
          { sku: "TEE", quantity: 1 },
        ]),
      )
      .thenDecides({ type: "OrderPlaced", data: placedData });
  });

  it("refuses to place the same order twice", () => {
    given(placed())
      .when(placeOrder([{ sku: "MUG", quantity: 1 }]))
      .thenRefused(OrderError, "ORDER_ALREADY_EXISTS");
  });

  it("names every unknown SKU", () => {
    const error = given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 1 },
          { sku: "NOPE", quantity: 1 },
          { sku: "GONE", quantity: 2 },
        ]),
      )
      .thenRefused(OrderError, "ORDER_UNKNOWN_SKU", /not in the catalog: NOPE, GONE/);
    expect(error.details).toEqual([
      { path: "items/1/sku", message: "unknown SKU NOPE" },
      { path: "items/2/sku", message: "unknown SKU GONE" },
    ]);
  });

  it("refuses duplicate SKUs", () => {
    const error = given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 1 },
          { sku: "TEE", quantity: 1 },
          { sku: "MUG", quantity: 3 },
        ]),
      )
      .thenRefused(OrderError, "ORDER_DUPLICATE_SKU", /repeated: MUG/);
    expect(error.details).toEqual([{ path: "items/2/sku", message: "repeats MUG of items/0" }]);
  });

  it.each([0, -1, 1001, 2.5, Number.MAX_SAFE_INTEGER])("refuses a quantity of %s", (quantity) => {
    given()
      .when(placeOrder([{ sku: "MUG", quantity }]))
      .thenRefused(OrderError, "ORDER_INVALID", /items\/0\/quantity must be an integer from 1 to 1000/);
  });

  it("refuses an empty order and one with too many lines", () => {
    given()
      .when(placeOrder([]))
      .thenRefused(OrderError, "ORDER_INVALID", /1 to 100 lines, not 0/);
    const many = Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    given()
      .when(placeOrder(many))
      .thenRefused(OrderError, "ORDER_INVALID", /not 101/);
  });

  it("refuses items priced in different currencies", () => {
    given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 1 },
          { sku: "YEN-FAN", quantity: 1 },
        ]),
      )
      .thenRefused(OrderError, "ORDER_MIXED_CURRENCIES", /EUR and JPY/);
  });
});

describe("cancelling on the customer's request", () => {
  const cancel: OrderCommand = { type: "CancelOrder", data: { orderId: ORDER } };

  it("cancels a placed order", () => {
    given(placed()).when(cancel).thenDecides(cancelledDraft("CUSTOMER_REQUEST", null));
  });

  it("does nothing for an order already cancelled (a retried request)", () => {
    given(placed(), cancelled("CUSTOMER_REQUEST")).when(cancel).thenDecides();
    given(placed(), cancelled("OUT_OF_STOCK")).when(cancel).thenDecides();
  });

  it("cancels a confirmed order (payment refunds it, inventory restocks it)", () => {
    given(placed(), confirmed()).when(cancel).thenDecides(cancelledDraft("CUSTOMER_REQUEST", null));
  });

  it("does nothing for a confirmed order already cancelled", () => {
    given(placed(), confirmed(), cancelled("CUSTOMER_REQUEST")).when(cancel).thenDecides();
  });

  it("does not know an order that was never placed", () => {
    given().when(cancel).thenRefused(OrderError, "ORDER_NOT_FOUND");
  });
});
