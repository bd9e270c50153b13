import { TOPICS, type TopicName } from "@herald/events";
import type { ServiceContext } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type { AnalyticsConfig } from "./config.js";
import { registerDashboardRoutes } from "./dashboard/routes.js";
import { readSummary } from "./read-models/queries.js";
import { registerReadModelRoutes } from "./read-models/routes.js";
import { createSummaryStream } from "./read-models/stream.js";
import { startRebuild } from "./rebuild/rebuild.js";
import { registerRebuildRoutes } from "./rebuild/routes.js";

/** Every topic: analytics reads them all, its own included. */
export const ANALYTICS_TOPICS: readonly TopicName[] = Object.keys(TOPICS) as TopicName[];

export interface AnalyticsRouteOptions {
  /** The Kafka topic a contract topic is read from (tests use prefixed ones); the rebuild replays these. */
  readonly topicName?: (topic: TopicName) => string;
}

/** The read-model API, the summary stream, the rebuild endpoints and the dashboard. */
export async function registerAnalyticsRoutes(
  app: FastifyInstance,
  context: ServiceContext<AnalyticsConfig>,
  options: AnalyticsRouteOptions = {},
): Promise<void> {
  const { pool, config, logger, kafka, serde } = context;
  const topicName = options.topicName ?? ((topic: TopicName) => topic);
  const latencyWindowMs = config.ANALYTICS_LATENCY_WINDOW_MS;
  const stream = createSummaryStream({
    pool,
    readSummary: () => readSummary(pool, { latencyWindowMs }),
    pollMs: config.ANALYTICS_STREAM_POLL_MS,
    onError: (error) => logger.warn({ err: error }, "summary stream poll failed"),
  });
  app.addHook("onClose", async () => stream.close());

  registerReadModelRoutes(app, {
    pool,
    stream,
    latencyWindowMs,
    traceUrl: config.ANALYTICS_TRACE_URL === "none" ? "" : config.ANALYTICS_TRACE_URL,
    streamLimits: {
      maxConnections: config.ANALYTICS_STREAM_MAX_CONNECTIONS,
      maxPerClient: config.ANALYTICS_STREAM_MAX_PER_CLIENT,
      stallMs: config.ANALYTICS_STREAM_STALL_MS,
    },
  });
  registerRebuildRoutes(app, {
    pool,
    start: () => startRebuild({ pool, kafka, serde, topics: ANALYTICS_TOPICS.map(topicName) }),
    onFinished: ({ generation, error, replayed }) => {
      if (error) logger.error({ err: error, generation }, "rebuild failed; the previous figures stay live");
      else logger.info({ generation, replayed }, "rebuild finished; its figures are live");
    },
  });
  await registerDashboardRoutes(app);
}
