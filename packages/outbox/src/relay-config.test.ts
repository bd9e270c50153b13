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
      kafkaSasl: undefined,
      kafkaSsl: false,
      production: false,
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

describe("the relay's Kafka login", () => {
  it("reads its service's principal", () => {
    const config = relayConfigFromEnvironment({
      ...valid,
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_USERNAME: "herald-order",
      KAFKA_PASSWORD: "s3cret",
      KAFKA_SSL: "true",
    });
    expect(config.kafkaSasl).toEqual({
      mechanism: "scram-sha-512",
      username: "herald-order",
      password: "s3cret",
    });
    expect(config.kafkaSsl).toBe(true);
  });

  it("refuses a mechanism without its login", () => {
    expect(() => relayConfigFromEnvironment({ ...valid, KAFKA_SASL_MECHANISM: "scram-sha-512" })).toThrow(
      /KAFKA_USERNAME and KAFKA_PASSWORD must be set/,
    );
  });

  it("refuses in production an unauthenticated client or a development password", () => {
    expect(() => relayConfigFromEnvironment({ ...valid, HERALD_ENV: "production" })).toThrow(
      /production refuses KAFKA_SASL_MECHANISM none/,
    );
    const development = {
      ...valid,
      HERALD_ENV: "production",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_USERNAME: "herald-order",
      KAFKA_PASSWORD: "herald-order-dev",
    };
    expect(() => relayConfigFromEnvironment(development)).toThrow(/development KAFKA_PASSWORD/);
    expect(relayConfigFromEnvironment({ ...development, KAFKA_PASSWORD: "from-the-vault" }).production).toBe(
      true,
    );
  });
});
