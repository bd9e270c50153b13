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

export type { Component } from "../component.js";
/** A broker of a test's own (own ports and state dir), for tests that must stop or restart Kafka. */
export { type KafkaPorts, kafkaComponent } from "../kafka.js";
export { uniqueName } from "../names.js";
export { createScratchSchema, type ScratchSchema } from "../scratch-schema.js";
export type { Infra };
