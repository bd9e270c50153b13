import { backoffCeiling, sleep } from "@herald/events";
import { type Consumer, createConsumer } from "@herald/outbox";
import type { ConfigOf } from "./config.js";
import { consumerLogHooks } from "./kafka.js";
import { groupIdOf } from "./manifest.js";
import { openPool } from "./postgres.js";
import type {
  ServiceConfig,
  ServiceConfigSpec,
  ServiceContext,
  ServiceDefinition,
} from "./service-definition.js";
import type { Shutdown } from "./shutdown.js";

/** How long a consumer that could not join waits before trying again. */
const CONSUMER_RETRY = { initialMs: 500, maxMs: 10_000 };

/** Starts the consumer without holding up HTTP; a failed join is retried with backoff until stopped. */
export function joinInBackground<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  context: ServiceContext<ConfigOf<S>>,
  shutdown: Shutdown,
): { joined: Promise<void>; readiness: () => Promise<void> } {
  const spec = definition.consumer!;
  const groupId = groupIdOf(definition.manifest);
  const log = context.logger.child({ component: "consumer" });
  // A pool of the consumer's own: requests queued on the routes' pool (hundreds after a restart)
  // would otherwise hold up every transaction of the saga behind them.
  const config = context.config as unknown as ServiceConfig;
  const pool = openPool(
    config.DATABASE_URL,
    // Each partition handled at once holds a connection for its chunk's transaction.
    Math.max(config.DATABASE_CONSUMER_POOL_SIZE, config.CONSUMER_PARTITIONS_CONCURRENTLY),
    `${definition.manifest.name}-consumer`,
    log,
  );
  const consumer: Consumer = createConsumer({
    kafka: context.kafka,
    pool,
    groupId,
    topics: spec.topics,
    serde: context.serde,
    handle: spec.handler(context),
    metrics: context.metrics,
    hooks: consumerLogHooks(log),
    partitionsConsumedConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
    ...spec.tuning,
    // A restarted instance waits for its dead predecessor's session to expire before the group
    // rebalances; a short session (heartbeats every second) keeps that wait to seconds.
    consumerConfig: { sessionTimeout: 10_000, heartbeatInterval: 1_000, ...spec.tuning?.consumerConfig },
  });
  let state: "joining" | "joined" | "stopped" = "joining";
  let lastError: string | undefined;
  const stopped = new AbortController();
  shutdown.add("consumer", async () => {
    state = "stopped";
    stopped.abort();
    await consumer.stop();
    await pool.end();
  });
  // The consumer creates the topics it subscribes to that do not exist yet.
  const joined = (async () => {
    for (let attempt = 1; !stopped.signal.aborted; attempt++) {
      const started = Date.now();
      try {
        await consumer.start();
        if (stopped.signal.aborted) return;
        state = "joined";
        log.info({ groupId, ms: Date.now() - started }, "consumer joined its group");
        return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        const delay = backoffCeiling(attempt, CONSUMER_RETRY);
        log.warn({ err: error, retryInMs: delay }, "consumer could not join; retrying");
        await sleep(delay, stopped.signal);
      }
    }
  })();
  return {
    joined,
    async readiness() {
      const blocked = consumer.health().blocked;
      if (state === "joined" && blocked)
        throw new Error(`blocked since ${blocked.since.toISOString()}: ${blocked.error.message}`);
      if (state === "joined") return;
      throw new Error(
        state === "stopped" ? "stopped" : `joining group ${groupId}${lastError ? `: ${lastError}` : ""}`,
      );
    },
  };
}
