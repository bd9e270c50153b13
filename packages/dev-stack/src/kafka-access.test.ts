import { describe, expect, it } from "vitest";
import { kafkaGrants, provisionedTopics } from "./kafka-access.js";
import { discoverServices } from "./workspace.js";

describe("Kafka access, derived from what each service's package.json declares", () => {
  it("lets each topic be written by its writer alone, and read by its readers", () => {
    const services = discoverServices();
    expect(services.map((s) => s.service)).toEqual(["order", "inventory", "payment", "email", "analytics"]);
    const grants = kafkaGrants(services);
    for (const { service, writes } of services)
      for (const topic of writes) {
        const writers = grants.filter((g) => g.name === topic && g.operations.includes("write"));
        expect(writers.map((g) => g.principal)).toEqual([`User:herald-${service}`]);
      }
    const readersOfNotifications = grants
      .filter((g) => g.resource === "topic" && g.name === "notifications" && g.operations.includes("read"))
      .map((g) => g.principal);
    expect(readersOfNotifications).toEqual(["User:herald-analytics"]);
    expect(grants.filter((g) => g.operations.includes("delete")).map((g) => g.name)).toEqual([
      "analytics-rebuild-",
    ]);
    expect(provisionedTopics(services)).toContain("order-service.dlq");
  });

  it("gives a new service its own group, its dead-letter topic and the topics it reads, nothing else", () => {
    const loyalty = { service: "loyalty", writes: [], reads: ["orders"] };
    expect(kafkaGrants([loyalty])).toEqual([
      {
        principal: "User:herald-loyalty",
        resource: "topic",
        pattern: "literal",
        name: "loyalty-service.dlq",
        operations: ["write", "describe"],
      },
      {
        principal: "User:herald-loyalty",
        resource: "topic",
        pattern: "literal",
        name: "orders",
        operations: ["read"],
      },
      {
        principal: "User:herald-loyalty",
        resource: "group",
        pattern: "literal",
        name: "loyalty-service",
        operations: ["read"],
      },
    ]);
    expect(provisionedTopics([loyalty])).toEqual(["loyalty-service.dlq"]);
  });
});
