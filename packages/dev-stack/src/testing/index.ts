import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { Infra } from "../stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    "herald:infra": Infra;
  }
}

/** The real infrastructure of this test run (started by the global setup or named by the environment). */
export function testInfra(): Infra {
  return inject("herald:infra");
}

/** A name no other test (or earlier run) uses: for topics, groups, schemas and databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

export type { Component } from "../component.js";

/** A broker of a test's own (own ports and state dir), for tests that must stop or restart Kafka. */
export { type KafkaPorts, kafkaComponent } from "../kafka.js";
export type { Infra };
