import { describe, expect, it } from "vitest";
import { loadPaymentConfig } from "./config.js";

const required = {
  DATABASE_URL: "postgres://herald_payment:secret@127.0.0.1:5432/herald_payment",
  KAFKA_BROKERS: "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081/apis/ccompat/v7",
};

describe("payment configuration", () => {
  it("defaults every optional key", () => {
    expect(loadPaymentConfig(required)).toMatchObject({
      PORT: 3003,
      PAYMENT_GATEWAY_LATENCY_MS: 150,
      PAYMENT_GATEWAY_TIMEOUT_MS: 10_000,
      PAYMENT_MAX_ATTEMPTS: 5,
      PAYMENT_RETRY_INITIAL_MS: 500,
      PAYMENT_RETRY_MAX_MS: 30_000,
      PAYMENT_WORKER_POLL_MS: 25,
    });
  });

  it("names every bad key at once", () => {
    expect(() =>
      loadPaymentConfig({ ...required, PAYMENT_GATEWAY_LATENCY_MS: "-1", PAYMENT_MAX_ATTEMPTS: "two" }),
    ).toThrow(/PAYMENT_GATEWAY_LATENCY_MS must be an integer.*PAYMENT_MAX_ATTEMPTS must be an integer/);
  });
});
