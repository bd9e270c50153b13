import { ServiceKitError } from "@herald/service-kit";
import { describe, expect, it } from "vitest";
import { loadAnalyticsConfig } from "./config.js";

const required = {
  DATABASE_URL: "postgres://herald_analytics:pw@127.0.0.1:5432/herald_analytics",
  KAFKA_BROKERS: "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081/apis/ccompat/v7",
};

describe("the Analytics configuration", () => {
  it("defaults to port 3005, one-minute periods, an hour of latency, and rebuilds over HTTP off", () => {
    expect(loadAnalyticsConfig(required)).toMatchObject({
      PORT: 3005,
      ANALYTICS_PERIOD_MS: 60_000,
      ANALYTICS_PERIOD_GRACE_MS: 5_000,
      ANALYTICS_LATENCY_WINDOW_MS: 3_600_000,
      ANALYTICS_STREAM_POLL_MS: 500,
      ANALYTICS_ADMIN_TOKEN: "",
    });
  });

  it("refuses a short admin token and a period under a second, naming them and not echoing the token", () => {
    let error: unknown;
    try {
      loadAnalyticsConfig({ ...required, ANALYTICS_ADMIN_TOKEN: "short-secret", ANALYTICS_PERIOD_MS: "500" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServiceKitError);
    const message = (error as Error).message;
    expect(message).toContain("ANALYTICS_ADMIN_TOKEN");
    expect(message).toContain("ANALYTICS_PERIOD_MS");
    expect(message).not.toContain("short-secret");
  });
});
