import { requiredSettings } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { loadPaymentConfig } from "./config.js";

const required = requiredSettings("payment");

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
