import { type ConfigOf, env, loadConfig, serviceConfigSpec } from "@herald/service-kit";

/** Every setting of the Analytics service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec({ port: 3005 }),
  ANALYTICS_PERIOD_MS: env.integer({
    description: "length of a sales period; one SalesPeriodSummarized is published per closed period",
    default: 60_000,
    min: 1_000,
  }),
  ANALYTICS_PERIOD_GRACE_MS: env.integer({
    description: "how long after a period ends its summary waits for late events",
    default: 5_000,
    min: 0,
  }),
  ANALYTICS_LATENCY_WINDOW_MS: env.integer({
    description: "saga latency percentiles cover the orders that ended within this window",
    default: 60 * 60 * 1000,
    min: 1_000,
  }),
  ANALYTICS_STREAM_POLL_MS: env.integer({
    description: "how often the summary stream checks for changes (one cheap query per instance)",
    default: 500,
    min: 50,
  }),
};

export type AnalyticsConfig = ConfigOf<typeof configSpec>;

export function loadAnalyticsConfig(source: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  return loadConfig(configSpec, source);
}
