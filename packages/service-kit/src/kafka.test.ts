import { describe, expect, it } from "vitest";
import { kafkaAuthentication } from "./kafka.js";
import { loadServiceConfig, serviceConfigSpec } from "./service.js";

const env = {
  DATABASE_URL: "postgres://u:p@127.0.0.1:5432/db",
  KAFKA_BROKERS: "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081",
  // An identity provider's keys, so only Kafka's settings are judged here.
  AUTH_JWKS_URL: "https://idp.example/jwks",
};
const login = {
  KAFKA_SASL_MECHANISM: "scram-sha-512",
  KAFKA_USERNAME: "herald-order",
  KAFKA_PASSWORD: "from-the-vault",
};
const definition = { manifest: { name: "order" }, configSpec: serviceConfigSpec({ port: 3001 }) } as never;
const production = { ...env, HERALD_ENV: "production" };

describe("the Kafka login in production mode", () => {
  it("refuses an unauthenticated (PLAINTEXT) client with a one-line reason", () => {
    expect(() => loadServiceConfig(definition, production)).toThrow(
      expect.objectContaining({
        code: "SERVICE_CONFIG_INVALID",
        message: expect.stringMatching(
          /^production mode refuses development settings: KAFKA_SASL_MECHANISM is none[^\n]*$/,
        ),
      }),
    );
  });

  it("refuses a development Kafka password", () => {
    expect(() =>
      loadServiceConfig(definition, { ...production, ...login, KAFKA_PASSWORD: "herald-order-dev" }),
    ).toThrow(
      /^production mode refuses development settings: KAFKA_PASSWORD is a development default[^\n]*$/,
    );
  });

  it("starts with the principal's own secret, and in development with none", () => {
    expect(loadServiceConfig(definition, { ...production, ...login }).KAFKA_USERNAME).toBe("herald-order");
    expect(loadServiceConfig(definition, env).KAFKA_SASL_MECHANISM).toBe("none");
    expect(() =>
      loadServiceConfig(definition, { ...env, ...login, KAFKA_PASSWORD: "herald-order-dev" }),
    ).not.toThrow();
  });

  it("refuses a mechanism without its user name and password, in any mode, naming no secret", () => {
    expect(() => loadServiceConfig(definition, { ...env, KAFKA_SASL_MECHANISM: "scram-sha-512" })).toThrow(
      /KAFKA_SASL_MECHANISM is scram-sha-512, so KAFKA_USERNAME and KAFKA_PASSWORD must be set/,
    );
  });
});

describe("kafkaAuthentication", () => {
  it("gives kafkajs the SASL login and TLS", () => {
    const config = loadServiceConfig(definition, { ...env, ...login, KAFKA_SSL: "true" });
    expect(kafkaAuthentication(config as never)).toEqual({
      sasl: { mechanism: "scram-sha-512", username: "herald-order", password: "from-the-vault" },
      ssl: true,
    });
    expect(kafkaAuthentication(loadServiceConfig(definition, env) as never)).toEqual({});
  });
});
