import { foldFacts } from "@herald/service-kit/decider";
import { describe, expect, it } from "vitest";
import type { OrderError } from "../errors.js";
import {
  cancelledDraft,
  confirmed,
  confirmedDraft,
  inventoryReserved,
  ORDER,
  paymentProcessed,
  placed,
  placedData,
  placeOrder,
  stamp,
  T0,
} from "../testing/decide-fixtures.js";
import { decide } from "./decide.js";
import { orderDecider } from "./decider.js";
import type { OrderCommand, OrderEvent, OrderState, SagaEvent } from "./domain.js";
import { evolve } from "./evolve.js";

const fold = (events: OrderEvent[]) => foldFacts(orderDecider, orderDecider.initialState(ORDER), events);

/** `evolve` folding an order's events into its state, and a whole life through decide and evolve alone. */

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
