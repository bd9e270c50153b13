import { describe, expect, it } from "vitest";
import { kafkaGrants, provisionedTopics, SUBSCRIPTIONS, subscriptionOf } from "./access.js";
import { TOPICS } from "./topics.js";

describe("the access registry", () => {
  it("refuses a service whose handlers read other topics than it is given", () => {
    expect(subscriptionOf("order", ["payments", "inventory"])).toBe(SUBSCRIPTIONS.order);
    expect(() => subscriptionOf("order", ["inventory", "payments", "notifications"])).toThrow(
      expect.objectContaining({ code: "EVENTS_ACCESS_MISMATCH" }),
    );
  });

  it("lets each topic be written by its writer alone, and read by its subscribers", () => {
    const grants = kafkaGrants();
    for (const topic of Object.values(TOPICS)) {
      const writers = grants.filter((g) => g.name === topic.name && g.operations.includes("write"));
      expect(writers.map((g) => g.principal)).toEqual([`User:herald-${topic.writer}`]);
    }
    const readersOfNotifications = grants
      .filter((g) => g.resource === "topic" && g.name === "notifications" && g.operations.includes("read"))
      .map((g) => g.principal);
    expect(readersOfNotifications).toEqual(["User:herald-analytics"]);
    expect(grants.filter((g) => g.operations.includes("delete")).map((g) => g.name)).toEqual([
      "analytics-rebuild-",
    ]);
    expect(provisionedTopics()).toContain("order-service.dlq");
  });
});
