import type { Decider } from "@herald/service-kit/decider";
import { decide } from "./decide.js";
import {
  type ConsumedEvent,
  noReservation,
  type Reservation,
  type ReservationFact,
  type StockLevel,
} from "./domain.js";
import { evolve } from "./evolve.js";

/** Inventory's core for one order's reservation: it decides on the stock levels of the order's SKUs. */
export const reservationDecider: Decider<
  ConsumedEvent,
  Reservation,
  ReservationFact,
  ReadonlyMap<string, StockLevel>
> = { initialState: noReservation, decide, evolve };
