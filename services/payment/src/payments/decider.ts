import type { Decider } from "@herald/service-kit/decider";
import { decide } from "./decide.js";
import {
  type ConsumedEvent,
  type DecisionContext,
  initialState,
  type PaymentFact,
  type PaymentState,
  type WorkerCommand,
} from "./domain.js";
import { evolve } from "./evolve.js";

/** Payment's core for one order: consumed events and the worker's results, decided at a time. */
export const paymentDecider: Decider<
  ConsumedEvent | WorkerCommand,
  PaymentState,
  PaymentFact,
  DecisionContext
> = {
  initialState,
  decide,
  evolve,
};
