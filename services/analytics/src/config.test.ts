import { ServiceKitError } from "@herald/service-kit";
import { readEnvExample, requiredSettings } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { configSpec, loadAnalyticsConfig } from "./config.js";

const required = requiredSettings("analytics");
const envExampleKeys = () => Object.keys(readEnvExample(new URL("../.env.example", import.meta.url)));

describe("the Analytics configuration", () => {
  it("defaults to port 3005, one-minute periods, an hour of latency, bounded streams and 90 days of facts", () => {
    expect(loadAnalyticsConfig(required)).toMatchObject({
      PORT: 3005,
      ANALYTICS_PERIOD_MS: 60_000,
      ANALYTICS_PERIOD_GRACE_MS: 5_000,
      ANALYTICS_LATENCY_WINDOW_MS: 3_600_000,
      ANALYTICS_STREAM_POLL_MS: 500,
      ANALYTICS_STREAM_MAX_CONNECTIONS: 100,
      ANALYTICS_STREAM_MAX_PER_CLIENT: 5,
      ANALYTICS_STREAM_STALL_MS: 30_000,
      ANALYTICS_FACT_RETENTION_DAYS: 90,
    });
  });

  it("has no shared admin token: operators authenticate with their own tokens", () => {
    expect(Object.keys(configSpec)).not.toContain("ANALYTICS_ADMIN_TOKEN");
    expect(envExampleKeys()).not.toContain("ANALYTICS_ADMIN_TOKEN");
  });

  it("documents every key in .env.example", () => {
    expect(envExampleKeys().sort()).toEqual(Object.keys(configSpec).sort());
  });

  it("refuses a period under a second and a stream poll under 50 ms, naming them", () => {
    let error: unknown;
    try {
      loadAnalyticsConfig({ ...required, ANALYTICS_STREAM_POLL_MS: "10", ANALYTICS_PERIOD_MS: "500" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServiceKitError);
    const message = (error as Error).message;
    expect(message).toContain("ANALYTICS_STREAM_POLL_MS");
    expect(message).toContain("ANALYTICS_PERIOD_MS");
  });
});
