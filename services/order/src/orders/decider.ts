import type { Decider } from "@herald/service-kit/decider";
import { decide } from "./decide.js";
import type { OrderCommand, OrderEvent, OrderEventDraft, OrderState, SagaEvent } from "./domain.js";
import { evolve } from "./evolve.js";

/**
 * Order's core for one order: the customer's commands and the saga's facts decide drafts, which
 * the event store stamps with their metadata before they are folded (an order with no events is null).
 */
export const orderDecider: Decider<
  OrderCommand | SagaEvent,
  OrderState,
  OrderEventDraft,
  undefined,
  OrderEvent
> = { initialState: () => null, decide: (input, state) => decide(input, state), evolve };
