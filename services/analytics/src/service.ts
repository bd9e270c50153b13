import { defineService } from "@herald/service-kit";
import { Counter } from "prom-client";
import { configSpec, manifest } from "./config.js";
import { ANALYTICS_ERROR_STATUS } from "./errors.js";
import { analyticsMigrations } from "./migrations.js";
import { createPeriodPublisher, startPeriodPublisher } from "./periods/publisher.js";
import { createProjectionHandler } from "./projection/handler.js";
import { startFactRetention } from "./projection/retention.js";
import { ANALYTICS_TOPICS, registerAnalyticsRoutes } from "./routes.js";

/** The Analytics service: read models of every topic, the dashboard, rebuilds and period summaries. */
export const analyticsService = defineService({
  manifest,
  description:
    "Live read models of every Herald topic (orders, funnel, revenue, products, saga latency, per-order timelines), a dashboard at /, and a sales summary per period.",
  configSpec,
  migrations: analyticsMigrations,
  consumer: {
    topics: ANALYTICS_TOPICS,
    handler: ({ logger, metrics }) =>
      createProjectionHandler({
        logger,
        projected: new Counter({
          name: "analytics_events_projected_total",
          help: "Events the projections saw, by type; outcome new or known (already recorded)",
          labelNames: ["type", "outcome"] as const,
          registers: [metrics],
        }),
      }),
  },
  // Only the rebuild endpoint takes a body, and an empty one.
  http: { errorStatus: ANALYTICS_ERROR_STATUS, bodyLimit: 1024 },
  routes: (app, context) => registerAnalyticsRoutes(app, context),
  background({ pool, config, logger, now }) {
    const publisher = createPeriodPublisher({
      pool,
      periodMs: config.ANALYTICS_PERIOD_MS,
      graceMs: config.ANALYTICS_PERIOD_GRACE_MS,
      now,
    });
    const stopPublisher = startPeriodPublisher(publisher, {
      periodMs: config.ANALYTICS_PERIOD_MS,
      onPublished: (periods) => logger.info({ periods }, "sales periods summarized"),
      onError: (error) => logger.warn({ err: error }, "summarizing sales periods failed; retrying next tick"),
    });
    const stopRetention = startFactRetention(pool, {
      retentionDays: config.ANALYTICS_FACT_RETENTION_DAYS,
      onPurged: (facts) => logger.info({ facts }, "facts past their retention deleted"),
      onError: (error) => logger.warn({ err: error }, "deleting expired facts failed; retrying next hour"),
    });
    return () => {
      stopPublisher();
      stopRetention();
    };
  },
});
