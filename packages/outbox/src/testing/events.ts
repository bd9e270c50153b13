import type { EventOf } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";

/** A valid OrderPlaced for `orderId`, with a fresh event id. */
export function orderPlaced(orderId: string, sequence = 0): EventOf<"OrderPlaced"> {
  return sampleEvent("OrderPlaced", { orderId, customerId: `cus_${sequence}` });
}
