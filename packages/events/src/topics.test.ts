import { describe, expect, it } from "vitest";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import { EVENT_TYPES, type EventType } from "./generated/types.js";
import { sampleEvent, sampleEvents } from "./testing.js";
import { fullNameOf, keyOf, subjectOf, TOPICS, topicOf } from "./topics.js";

describe("the topic registry", () => {
  it("routes every event type to exactly one topic, written by the service owning its schema", () => {
    const routed = Object.values(TOPICS).flatMap((topic) => topic.events);
    expect([...routed].sort()).toEqual([...EVENT_TYPES].sort());
    for (const topic of Object.values(TOPICS))
      for (const type of topic.events) expect(EVENT_SCHEMAS[type].domain).toBe(topic.writer);
  });

  it("names topics, full names and subjects", () => {
    expect(topicOf("OrderPlaced")).toBe("orders");
    expect(topicOf("EmailSent")).toBe("notifications");
    expect(fullNameOf("PaymentFailed")).toBe("herald.payment.PaymentFailed");
    expect(subjectOf("InventoryReserved")).toBe("inventory-herald.inventory.InventoryReserved");
    expect(subjectOf("SalesPeriodSummarized")).toBe("analytics-herald.analytics.SalesPeriodSummarized");
  });

  it("rejects a type that is not an event", () => {
    expect(() => topicOf("OrderShipped" as EventType)).toThrow(
      expect.objectContaining({ code: "EVENTS_UNKNOWN_EVENT_TYPE" }),
    );
    expect(() => fullNameOf("toString" as EventType)).toThrow(
      expect.objectContaining({ code: "EVENTS_UNKNOWN_EVENT_TYPE" }),
    );
  });

  it("keys events by order id, summaries and digest mails by period id", () => {
    for (const event of sampleEvents().filter((e) => "orderId" in e.data && e.data.orderId !== null))
      expect(keyOf(event)).toBe("ord_7f3a2c");
    expect(keyOf(sampleEvent("SalesPeriodSummarized", { periodId: "p-1" }))).toBe("p-1");
    expect(keyOf(sampleEvent("EmailSent", { orderId: null, periodId: "p-2" }))).toBe("p-2");
    expect(keyOf(sampleEvent("EmailFailed", { orderId: "ord_9", periodId: null }))).toBe("ord_9");
  });
});
