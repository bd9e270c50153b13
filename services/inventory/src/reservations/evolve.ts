import type { Reservation, ReservationFact } from "./domain.js";

/** The reservation after one more fact. Pure. */
export function evolve(state: Reservation, fact: ReservationFact): Reservation {
  switch (fact.type) {
    case "Reserved":
      return { ...state, status: "RESERVED", lines: fact.lines, shortages: [] };
    case "ReservationFailed":
      return { ...state, status: "FAILED", lines: fact.lines, shortages: fact.shortages };
    case "Released":
      return { ...state, status: "RELEASED", lines: fact.lines };
    case "Sold":
      return { ...state, status: "SOLD", lines: fact.lines };
    case "Restocked":
      return { ...state, status: "RESTOCKED", lines: fact.lines };
    case "CancelledBeforePlaced":
      return { ...state, status: "CANCELLED_BEFORE_PLACED" };
  }
}
