import type { Metadata } from "@herald/events";
import { describe, expect, it } from "vitest";
import type { CatalogItem } from "../catalog/catalog.js";
import { OrderError } from "../errors.js";
import { decide } from "./decide.js";
import type { OrderCommand, OrderEvent, OrderEventDraft, OrderState, SagaEvent } from "./domain.js";
import { evolve, fold } from "./evolve.js";

const ORDER = "6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f";
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let sequence = 0;

function metadata(at = T0, correlationId = "saga-1"): Metadata {
  sequence += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    occurredAt: at,
    correlationId,
    causationId: null,
    producer: "test",
    traceparent: null,
  };
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const item = (sku: string, amountMinor: number, currency = "EUR"): [string, CatalogItem] => [
  sku,
  { sku, name: sku, unitPrice: { amountMinor, currency } },
];
const catalog = new Map([item("MUG", 1290), item("TEE", 2490), item("YEN-FAN", 800, "JPY")]);
const address = {
  recipientName: "Ada Lovelace",
  line1: "1 Analytical Way",
  line2: null,
  city: "London",
  postalCode: "N1 9GU",
  region: null,
  country: "GB",
};
const lines = [
  { sku: "MUG", quantity: 2, unitPrice: eur(1290) },
  { sku: "TEE", quantity: 1, unitPrice: eur(2490) },
];
const customer = { orderId: ORDER, customerId: "cust-1", customerEmail: "ada@example.com" };

function placeOrder(items: { sku: string; quantity: number }[]): OrderCommand {
  return {
    type: "PlaceOrder",
    data: { ...customer, items, paymentMethodToken: "tok_visa", shippingAddress: address, catalog },
  };
}

const placedData = {
  ...customer,
  lines,
  total: eur(5070),
  paymentMethodToken: "tok_visa",
  shippingAddress: address,
};
const placed = (): OrderEvent => ({ type: "OrderPlaced", data: { metadata: metadata(T0), ...placedData } });
const confirmedDraft: OrderEventDraft = {
  type: "OrderConfirmed",
  data: { ...customer, lines, total: eur(5070) },
};
const cancelledDraft = (
  reason: "OUT_OF_STOCK" | "PAYMENT_FAILED" | "CUSTOMER_REQUEST",
  detail: string | null,
) =>
  ({
    type: "OrderCancelled",
    data: { ...customer, lines, total: eur(5070), reason, detail },
  }) as OrderEventDraft;
const stamp = (draft: OrderEventDraft, at = T0 + 60_000): OrderEvent =>
  ({ type: draft.type, data: { ...draft.data, metadata: metadata(at) } }) as OrderEvent;
const confirmed = () => stamp(confirmedDraft);
const cancelled = (reason: "OUT_OF_STOCK" | "PAYMENT_FAILED" | "CUSTOMER_REQUEST") =>
  stamp(cancelledDraft(reason, null));

const inventoryReserved = (): SagaEvent => ({
  type: "InventoryReserved",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    lines: [
      { sku: "MUG", quantity: 2 },
      { sku: "TEE", quantity: 1 },
    ],
  },
});
const reservationFailed = (): SagaEvent => ({
  type: "InventoryReservationFailed",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    unavailableSkus: [{ sku: "TEE", requested: 1, available: 0 }],
  },
});
const paymentProcessed = (): SagaEvent => ({
  type: "PaymentProcessed",
  data: { metadata: metadata(), orderId: ORDER, paymentId: "pay-1", amount: eur(5070) },
});
const paymentFailed = (): SagaEvent => ({
  type: "PaymentFailed",
  data: {
    metadata: metadata(),
    orderId: ORDER,
    paymentId: "pay-1",
    amount: eur(5070),
    reason: "CARD_DECLINED",
    detail: "issuer said no",
  },
});

/** Given these past events, when this happens, then exactly these new events (or this refusal). */
function given(...events: OrderEvent[]) {
  const state: OrderState = fold(events);
  return {
    when: (input: OrderCommand | SagaEvent) => ({
      thenEmits: (...expected: OrderEventDraft[]) => expect(decide(input, state)).toEqual(expected),
      thenRefused(code: string, message?: RegExp) {
        let caught: unknown;
        try {
          decide(input, state);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(OrderError);
        expect(caught).toMatchObject({ code });
        if (message) expect((caught as Error).message).toMatch(message);
        return caught as OrderError;
      },
    }),
  };
}

describe("placing an order", () => {
  it("prices every line from the catalog and totals it", () => {
    given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 2 },
          { sku: "TEE", quantity: 1 },
        ]),
      )
      .thenEmits({ type: "OrderPlaced", data: placedData });
  });

  it("refuses to place the same order twice", () => {
    given(placed())
      .when(placeOrder([{ sku: "MUG", quantity: 1 }]))
      .thenRefused("ORDER_ALREADY_EXISTS");
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
      .thenRefused("ORDER_UNKNOWN_SKU", /not in the catalog: NOPE, GONE/);
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
      .thenRefused("ORDER_DUPLICATE_SKU", /repeated: MUG/);
    expect(error.details).toEqual([{ path: "items/2/sku", message: "repeats MUG of items/0" }]);
  });

  it.each([0, -1, 1001, 2.5, Number.MAX_SAFE_INTEGER])("refuses a quantity of %s", (quantity) => {
    given()
      .when(placeOrder([{ sku: "MUG", quantity }]))
      .thenRefused("ORDER_INVALID", /items\/0\/quantity must be an integer from 1 to 1000/);
  });

  it("refuses an empty order and one with too many lines", () => {
    given()
      .when(placeOrder([]))
      .thenRefused("ORDER_INVALID", /1 to 100 lines, not 0/);
    const many = Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    given()
      .when(placeOrder(many))
      .thenRefused("ORDER_INVALID", /not 101/);
  });

  it("refuses items priced in different currencies", () => {
    given()
      .when(
        placeOrder([
          { sku: "MUG", quantity: 1 },
          { sku: "YEN-FAN", quantity: 1 },
        ]),
      )
      .thenRefused("ORDER_MIXED_CURRENCIES", /EUR and JPY/);
  });
});

describe("cancelling on the customer's request", () => {
  const cancel: OrderCommand = { type: "CancelOrder", data: { orderId: ORDER } };

  it("cancels a placed order", () => {
    given(placed()).when(cancel).thenEmits(cancelledDraft("CUSTOMER_REQUEST", null));
  });

  it("does nothing for an order already cancelled (a retried request)", () => {
    given(placed(), cancelled("CUSTOMER_REQUEST")).when(cancel).thenEmits();
    given(placed(), cancelled("OUT_OF_STOCK")).when(cancel).thenEmits();
  });

  it("cancels a confirmed order (payment refunds it, inventory restocks it)", () => {
    given(placed(), confirmed()).when(cancel).thenEmits(cancelledDraft("CUSTOMER_REQUEST", null));
  });

  it("does nothing for a confirmed order already cancelled", () => {
    given(placed(), confirmed(), cancelled("CUSTOMER_REQUEST")).when(cancel).thenEmits();
  });

  it("does not know an order that was never placed", () => {
    given().when(cancel).thenRefused("ORDER_NOT_FOUND");
  });
});

describe("the saga reactions", () => {
  it("confirms a placed order once its payment is processed", () => {
    given(placed()).when(paymentProcessed()).thenEmits(confirmedDraft);
  });

  it("waits, with nothing to do, when stock is reserved", () => {
    given(placed()).when(inventoryReserved()).thenEmits();
  });

  it("cancels when the stock cannot be reserved, saying what was short", () => {
    given(placed())
      .when(reservationFailed())
      .thenEmits(cancelledDraft("OUT_OF_STOCK", "TEE: 1 requested, 0 available"));
  });

  it("cancels when the payment fails, saying why", () => {
    given(placed())
      .when(paymentFailed())
      .thenEmits(cancelledDraft("PAYMENT_FAILED", "CARD_DECLINED: issuer said no"));
  });

  describe("duplicates", () => {
    it("confirms only once", () => {
      given(placed(), confirmed()).when(paymentProcessed()).thenEmits();
    });

    it("cancels only once", () => {
      given(placed(), cancelled("OUT_OF_STOCK")).when(reservationFailed()).thenEmits();
      given(placed(), cancelled("PAYMENT_FAILED")).when(paymentFailed()).thenEmits();
    });
  });

  describe("out of order", () => {
    it("ignores a reservation that arrives after the payment already confirmed the order", () => {
      given(placed(), confirmed()).when(inventoryReserved()).thenEmits();
    });

    it("ignores a payment failure after the stock shortage already cancelled the order", () => {
      given(placed(), cancelled("OUT_OF_STOCK")).when(paymentFailed()).thenEmits();
    });

    it("keeps a confirmed order confirmed whatever contradicting news arrives late", () => {
      given(placed(), confirmed()).when(paymentFailed()).thenEmits();
      given(placed(), confirmed()).when(reservationFailed()).thenEmits();
    });
  });

  describe("late", () => {
    it("keeps an order the customer cancelled cancelled when its payment succeeds afterwards", () => {
      // The payment service refunds on OrderCancelled; the order itself has nothing more to say.
      given(placed(), cancelled("CUSTOMER_REQUEST")).when(paymentProcessed()).thenEmits();
    });

    it("ignores a payment failure for an order the customer cancelled", () => {
      given(placed(), cancelled("CUSTOMER_REQUEST")).when(paymentFailed()).thenEmits();
    });

    it("ignores events about an order it does not know", () => {
      for (const event of [inventoryReserved(), reservationFailed(), paymentProcessed(), paymentFailed()])
        given().when(event).thenEmits();
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
      .thenEmits(confirmedDraft);
  });

  it("refuses a payment of another amount or currency as a poison fact, whatever the order's status", () => {
    for (const amount of [eur(5069), eur(1), { amountMinor: 5070, currency: "USD" }]) {
      const error = given(placed())
        .when(processed(amount))
        .thenRefused("ORDER_SAGA_FACT_MISMATCH", /PaymentProcessed .* does not match/);
      expect(error.retryable).toBe(false);
      given(placed(), confirmed()).when(processed(amount)).thenRefused("ORDER_SAGA_FACT_MISMATCH");
      given(placed(), cancelled("CUSTOMER_REQUEST"))
        .when(processed(amount))
        .thenRefused("ORDER_SAGA_FACT_MISMATCH");
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
    given(placed()).when(other).thenRefused("ORDER_SAGA_FACT_MISMATCH", /order/);
  });

  it("accepts a reservation of exactly the order's lines, in any order", () => {
    given(placed())
      .when(
        reserved([
          { sku: "TEE", quantity: 1 },
          { sku: "MUG", quantity: 2 },
        ]),
      )
      .thenEmits();
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
        .thenRefused("ORDER_SAGA_FACT_MISMATCH", /InventoryReserved .* does not match/);
      expect(error.retryable).toBe(false);
    }
  });

  it("still ignores facts about an order it does not know (nothing to check them against)", () => {
    given()
      .when(processed(eur(1)))
      .thenEmits();
    given()
      .when(reserved([{ sku: "HAT", quantity: 9 }]))
      .thenEmits();
  });
});

describe("evolve", () => {
  it("folds a placed order", () => {
    const event = placed();
    expect(fold([event])).toEqual({
      ...placedData,
      status: "PLACED",
      version: 1,
      correlationId: "saga-1",
      placedAt: T0,
      updatedAt: T0,
    });
  });

  it("folds a confirmation and a cancellation", () => {
    const confirmedState = fold([placed(), stamp(confirmedDraft, T0 + 5_000)]);
    expect(confirmedState).toMatchObject({ status: "CONFIRMED", version: 2, confirmedAt: T0 + 5_000 });
    const cancelledState = fold([placed(), stamp(cancelledDraft("PAYMENT_FAILED", "declined"), T0 + 7_000)]);
    expect(cancelledState).toMatchObject({
      status: "CANCELLED",
      version: 2,
      updatedAt: T0 + 7_000,
      cancellation: { reason: "PAYMENT_FAILED", detail: "declined", at: T0 + 7_000 },
    });
  });

  it("rejects a stream that does not start with OrderPlaced", () => {
    expect(() => evolve(null, confirmed())).toThrow(/starts with OrderConfirmed/);
  });

  it("keeps the confirmation when a confirmed order is cancelled", () => {
    const state = fold([
      placed(),
      stamp(confirmedDraft, T0 + 5_000),
      stamp(cancelledDraft("CUSTOMER_REQUEST", null), T0 + 9_000),
    ]);
    expect(state).toMatchObject({
      status: "CANCELLED",
      version: 3,
      confirmedAt: T0 + 5_000,
      cancellation: { reason: "CUSTOMER_REQUEST", detail: null, at: T0 + 9_000 },
    });
  });

  it("reaches the terminal state through decide and evolve alone", () => {
    let state: OrderState = null;
    const inputs: (OrderCommand | SagaEvent)[] = [
      placeOrder([
        { sku: "MUG", quantity: 2 },
        { sku: "TEE", quantity: 1 },
      ]),
      inventoryReserved(),
      paymentProcessed(),
      paymentProcessed(),
      { type: "CancelOrder", data: { orderId: ORDER } },
      paymentProcessed(),
      { type: "CancelOrder", data: { orderId: ORDER } },
    ];
    const outcomes: string[] = [];
    for (const input of inputs) {
      try {
        for (const draft of decide(input, state)) state = evolve(state, stamp(draft));
        outcomes.push(state?.status ?? "none");
      } catch (error) {
        outcomes.push((error as OrderError).code);
      }
    }
    expect(outcomes).toEqual([
      "PLACED",
      "PLACED",
      "CONFIRMED",
      "CONFIRMED",
      "CANCELLED",
      "CANCELLED",
      "CANCELLED",
    ]);
    expect(state?.version).toBe(3);
  });
});
