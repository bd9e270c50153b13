import { inject } from "vitest";
import { defaultStackOptions } from "../config.js";
import { brokerEnvironment } from "../environment.js";
import type { Infra } from "../infra.js";
import { zipkinUrl } from "../zipkin.js";

declare module "vitest" {
  export interface ProvidedContext {
    "herald:infra": Infra;
  }
}

/** The real infrastructure of this test run (started by the global setup or named by the environment). */
export function testInfra(): Infra {
  return inject("herald:infra");
}

/**
 * The environment a service under test is configured from: this run's Kafka, registry and mail
 * sink, the database at `databaseUrl` (usually a scratch schema), silent logs unless TEST_LOG_LEVEL
 * says otherwise, and `extra` on top.
 */
export function serviceEnvironment(
  databaseUrl: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const infra = testInfra();
  return {
    // Tests make their own topics and groups, so their services log in as the broker's admin.
    ...brokerEnvironment(infra),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...extra,
  };
}

export type { Component } from "../component.js";
/** What a service's process is told of the run's brokers, schema registry and SMTP server. */
export { brokerEnvironment } from "../environment.js";
/** A broker of a test's own (own ports and state dir), for tests that must stop or restart Kafka. */
export { type KafkaPorts, kafkaComponent } from "../kafka.js";
/**
 * The kafkajs config of the run's (or a private) broker, logged in as its admin: every test's Kafka
 * client; a silent client of it; an admin connected for one use.
 */
export { kafkaConfig, quietKafka, withAdmin } from "../kafka-client.js";
export { uniqueName } from "../names.js";
export { createScratchSchema, type ScratchSchema } from "../scratch-schema.js";
export { KAFKA_ADMIN_LOGIN, kafkaLoginEnvironment } from "../services.js";
/** The stack's trace collector and UI (the e2e tier's global setup starts it). */
export { ZIPKIN_VERSION, zipkinComponent, zipkinUrl } from "../zipkin.js";
export { freePort, type PrivateKafka, startPrivateKafka } from "./private-kafka.js";
export { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";
/** What a promise rejects with, of the type the test expects. */
export { rejectionOf } from "./rejection.js";
export { type System, startSystem } from "./system.js";
export { waitFor } from "./wait.js";
export type { Infra };
/** The e2e tier's Zipkin (UI and query API), as its global setup started it. */
export function traceCollectorUrl(): string {
  return zipkinUrl(defaultStackOptions());
}
