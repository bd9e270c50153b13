import type { KafkaGrant } from "@herald/dev-stack";
import { describe, expect, it } from "vitest";
import { aclCommands, committedKafkaAccess, renderKafkaAccess } from "./kafka-access.js";

/** A grant to `principal` of `operations` on the resource `name` (literal or prefixed). */
const grant = (
  principal: string,
  resource: KafkaGrant["resource"],
  pattern: KafkaGrant["pattern"],
  name: string,
  ...operations: KafkaGrant["operations"][number][]
): KafkaGrant => ({ principal, resource, pattern, name, operations });

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
      grant("User:a", "topic", "literal", "t1", "write", "describe"),
      grant("User:a", "topic", "literal", "t2", "describe", "write"),
      grant("User:a", "topic", "literal", "t3", "read"),
      grant("User:a", "group", "literal", "g", "read"),
      grant("User:a", "group", "prefixed", "g-", "read", "delete"),
      grant("User:b", "topic", "literal", "t1", "read"),
    ]);
    expect(commands).toEqual([
      "--allow-principal User:a --resource-pattern-type literal --operation Describe --operation Write --topic t1 --topic t2",
      "--allow-principal User:a --resource-pattern-type literal --operation Read --topic t3 --group g",
      "--allow-principal User:a --resource-pattern-type prefixed --operation Delete --operation Read --group g-",
      "--allow-principal User:b --resource-pattern-type literal --operation Read --topic t1",
    ]);
  });
});
