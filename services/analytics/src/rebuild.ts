import { outboxMigrations } from "@herald/outbox";
import { createServiceContext, runMigrations, ServiceKitError } from "@herald/service-kit";
import { AnalyticsError } from "./errors.js";
import { analyticsMigrations } from "./migrations.js";
import { startRebuild } from "./rebuild/rebuild.js";
import { ANALYTICS_TOPICS } from "./routes.js";
import { analyticsService } from "./service.js";

/**
 * `npm run rebuild -w @herald/analytics-service`: replays every topic into a fresh generation of
 * the read models and swaps it in, with the running service's configuration (the same environment
 * variables). The service keeps serving the old figures meanwhile. Exits 0 once the new figures are
 * live, 1 if the rebuild failed (the old figures stay), 2 on bad configuration.
 */
async function main(): Promise<number> {
  let context: ReturnType<typeof createServiceContext<typeof analyticsService.configSpec>>;
  try {
    context = createServiceContext(analyticsService);
  } catch (error) {
    if (!(error instanceof ServiceKitError)) throw error;
    console.error(`analytics rebuild: ${error.message}`);
    return 2;
  }
  const { pool, kafka, serde, logger } = context;
  const log = logger.child({ component: "rebuild" });
  try {
    await runMigrations(pool, [...outboxMigrations, ...analyticsMigrations]);
    const rebuild = await startRebuild({ pool, kafka, serde, topics: ANALYTICS_TOPICS });
    log.info({ generation: rebuild.generation }, "rebuild started: replaying every topic");
    const result = await rebuild.done;
    log.info(result, "rebuild finished; its figures are live");
    return 0;
  } catch (error) {
    if (error instanceof AnalyticsError && error.code === "ANALYTICS_REBUILD_RUNNING")
      log.error("a rebuild is already running; nothing done");
    else log.error({ err: error }, "rebuild failed; the previous figures stay live");
    return 1;
  } finally {
    await pool.end();
  }
}

// Exits as soon as the work is done: idle keep-alive sockets of the registry client would hold it open.
process.exit(await main());
