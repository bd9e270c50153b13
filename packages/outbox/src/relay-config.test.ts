import { describe, expect, it } from "vitest";
import { OutboxError } from "./errors.js";
import { relayConfigFromEnvironment } from "./relay-config.js";

const valid = {
  DATABASE_URL: "postgres://herald_order:secret@db:5432/herald_order",
  KAFKA_BROKERS: "kafka-1:9092, kafka-2:9092",
  SCHEMA_REGISTRY_URL: "http://registry:8081",
};

describe("relayConfigFromEnvironment", () => {
  it("reads the required variables and defaults the rest", () => {
    expect(relayConfigFromEnvironment(valid)).toEqual({
      databaseUrl: valid.DATABASE_URL,
      kafkaBrokers: ["kafka-1:9092", "kafka-2:9092"],
      schemaRegistryUrl: valid.SCHEMA_REGISTRY_URL,
      clientId: "herald-outbox-relay",
      topicPrefix: "",
      batchSize: undefined,
      metricsPort: undefined,
    });
  });

  it("names every bad variable, and no secret", () => {
    let error: unknown;
    try {
      relayConfigFromEnvironment({
        ...valid,
        KAFKA_BROKERS: "",
        RELAY_BATCH_SIZE: "lots",
        DATABASE_URL: "mysql://u:hunter2@x/y",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).code).toBe("OUTBOX_INVALID_OPTIONS");
    expect((error as Error).message).toMatch(/KAFKA_BROKERS is required/);
    expect((error as Error).message).toMatch(/RELAY_BATCH_SIZE must be an integer/);
    expect((error as Error).message).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect((error as Error).message).not.toMatch(/hunter2/);
  });
});
