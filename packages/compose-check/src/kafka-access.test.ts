import { describe, expect, it } from "vitest";
import { aclCommands, committedKafkaAccess, renderKafkaAccess } from "./kafka-access.js";

describe("compose's Kafka access file", () => {
  it("given the committed file, when the contract is rendered, then they are the same (else run npm run compose:files)", () => {
    expect(committedKafkaAccess()).toBe(renderKafkaAccess());
  });

  it("given the rendering, when read, then it names the admin, every service principal and every provisioned topic", () => {
    const lines = renderKafkaAccess().split("\n");
    for (const user of ["herald-admin", "herald-order", "herald-analytics"])
      expect(lines).toContain(`user ${user}`);
    expect(lines).toContain("topic orders");
    expect(lines).toContain("topic order-service.dlq");
  });

  it("given grants of one principal with different operations, when grouped, then each command carries only its grants' operations", () => {
    const commands = aclCommands([
      {
        principal: "User:a",
        resource: "topic",
        pattern: "literal",
        name: "t1",
        operations: ["write", "describe"],
      },
      {
        principal: "User:a",
        resource: "topic",
        pattern: "literal",
        name: "t2",
        operations: ["describe", "write"],
      },
      { principal: "User:a", resource: "topic", pattern: "literal", name: "t3", operations: ["read"] },
      { principal: "User:a", resource: "group", pattern: "literal", name: "g", operations: ["read"] },
      {
        principal: "User:a",
        resource: "group",
        pattern: "prefixed",
        name: "g-",
        operations: ["read", "delete"],
      },
      { principal: "User:b", resource: "topic", pattern: "literal", name: "t1", operations: ["read"] },
    ]);
    expect(commands).toEqual([
      "--allow-principal User:a --resource-pattern-type literal --operation Describe --operation Write --topic t1 --topic t2",
      "--allow-principal User:a --resource-pattern-type literal --operation Read --topic t3 --group g",
      "--allow-principal User:a --resource-pattern-type prefixed --operation Delete --operation Read --group g-",
      "--allow-principal User:b --resource-pattern-type literal --operation Read --topic t1",
    ]);
  });
});
