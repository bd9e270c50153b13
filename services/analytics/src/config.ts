import { type ConfigOf, env, loadConfig, readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

/** Every setting of the Analytics service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec(manifest),
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
  ANALYTICS_STREAM_MAX_CONNECTIONS: env.integer({
    description: "summary streams one instance serves at once; more get 503 with Retry-After",
    default: 100,
    min: 1,
  }),
  ANALYTICS_STREAM_MAX_PER_CLIENT: env.integer({
    description: "summary streams one token subject, and one client address, may hold at once; more get 429",
    default: 5,
    min: 1,
  }),
  ANALYTICS_FACT_RETENTION_DAYS: env.integer({
    description: "facts (the per-order timelines) older than this many days are deleted; the figures stay",
    default: 90,
    min: 1,
  }),
  ANALYTICS_TRACE_URL: env.string({
    description:
      "where the timeline links each fact's trace, {traceId} standing for its id (the stack's Zipkin by default); none: no links",
    default: "http://localhost:9411/zipkin/traces/{traceId}",
    pattern: /^(none|https?:\/\/\S*\{traceId\}\S*)$/,
  }),
  ANALYTICS_STREAM_STALL_MS: env.integer({
    description: "a stream client that reads nothing for this long while its buffer is full is disconnected",
    default: 30_000,
    min: 100,
  }),
};

export type AnalyticsConfig = ConfigOf<typeof configSpec>;

export function loadAnalyticsConfig(source: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  return loadConfig(configSpec, source);
}
