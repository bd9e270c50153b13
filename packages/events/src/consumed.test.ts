import { describe, expect, it } from "vitest";
import { consumedEvents, isOrderId } from "./consumed.js";
import { sampleEvent } from "./testing.js";

describe("consumedEvents", () => {
  it("answers each topic of the types once, and tells the types' events from the others on them", () => {
    const consumed = consumedEvents(["OrderPlaced", "InventoryReserved", "OrderCancelled"]);
    expect(consumed.topics).toEqual(["orders", "inventory"]);
    expect(consumed.has(sampleEvent("OrderCancelled"))).toBe(true);
    expect(consumed.has(sampleEvent("OrderConfirmed"))).toBe(false);
    expect(consumed.has(sampleEvent("InventoryReleased"))).toBe(false);
  });
});

describe("isOrderId", () => {
  it("takes a UUID in either case and nothing else", () => {
    expect(isOrderId("6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f")).toBe(true);
    expect(isOrderId("6F1C2A7E-3B9D-4C55-8E21-0A9B8C7D6E5F")).toBe(true);
    expect(isOrderId("ord_7f3a2c")).toBe(false);
    expect(isOrderId("6f1c2a7e-3b9d-4c55-8e21-0a9b8c7d6e5f ")).toBe(false);
  });
});
