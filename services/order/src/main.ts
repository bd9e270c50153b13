import { createEventSerde, topicOf } from "@herald/events";
import { createConsumer, createRelay, outboxMigrations } from "@herald/outbox";
import {
  createLogger,
  createMetricsRegistry,
  createShutdown,
  postgresReadiness,
  runMigrations,
  ServiceKitError,
} from "@herald/service-kit";
import pg from "pg";
import { buildApp } from "./app.js";
import { loadOrderConfig, type OrderConfig } from "./config.js";
import { consumerLogHooks, createKafka, ensureTopics } from "./kafka.js";
import { orderMigrations } from "./migrations.js";
import { createOrderHandler } from "./orders/handler.js";
import { purgeIdempotencyKeys } from "./orders/idempotency.js";
import { createSagaHandler, SAGA_TOPICS } from "./orders/saga.js";

const SERVICE = "order";
const CONSUMER_GROUP = "order-service";
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** The composition root: config, clients, migrations, then relay, consumer and HTTP; closed in reverse. */
async function main(config: OrderConfig): Promise<void> {
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger });
  shutdown.listen();
  try {
    const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10 });
    pool.on("error", (error) => logger.error({ err: error }, "idle Postgres connection failed"));
    shutdown.add("postgres", () => pool.end());
    const applied = await runMigrations(pool, [...outboxMigrations, ...orderMigrations]);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");

    const serde = createEventSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
    await serde.register();
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${SERVICE}-service`, logger });
    const admin = kafka.admin();
    await admin.connect();
    shutdown.add("kafka-admin", () => admin.disconnect());
    const created = await ensureTopics(admin, [topicOf("OrderPlaced"), ...SAGA_TOPICS]);
    if (created.length > 0) logger.info({ created }, "Kafka topics created");
    const metrics = createMetricsRegistry(SERVICE);

    if (config.RELAY_MODE === "in-process") {
      const relayLog = logger.child({ component: "relay" });
      const relay = createRelay({
        pool,
        kafka,
        serde,
        metrics,
        hooks: {
          published: ({ events }) => relayLog.debug({ count: events.length }, "events published"),
          error: (error) => relayLog.warn({ err: error, code: error.code }, "relay cycle failed; retrying"),
          bucketsChanged: (buckets) => relayLog.info({ buckets }, "relay buckets changed"),
        },
      });
      await relay.start();
      shutdown.add("relay", () => relay.stop());
    }

    const handler = createOrderHandler({ pool });
    const consumer = createConsumer({
      kafka,
      pool,
      groupId: CONSUMER_GROUP,
      topics: SAGA_TOPICS,
      serde,
      handle: createSagaHandler(handler, logger),
      metrics,
      hooks: consumerLogHooks(logger.child({ component: "consumer" })),
    });
    await consumer.start();
    shutdown.add("consumer", () => consumer.stop());

    const purge = setInterval(
      () => {
        purgeIdempotencyKeys(pool, IDEMPOTENCY_KEY_TTL_MS).then(
          (purged) => purged > 0 && logger.info({ purged }, "expired idempotency keys purged"),
          (error: unknown) => logger.warn({ err: error }, "purging idempotency keys failed"),
        );
      },
      60 * 60 * 1000,
    );
    purge.unref();
    shutdown.add("idempotency-purge", () => clearInterval(purge));

    const app = await buildApp({
      pool,
      handler,
      logger,
      metrics,
      readiness: {
        database: postgresReadiness(pool),
        kafka: async () => {
          await admin.describeCluster();
        },
      },
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    shutdown.add("http", () => app.close());
    logger.info({ port: config.PORT, relay: config.RELAY_MODE }, "order service ready");
  } catch (error) {
    logger.fatal({ err: error }, "order service failed to start");
    await shutdown.close("startup failed");
    process.exit(1);
  }
}

let config: OrderConfig;
try {
  config = loadOrderConfig();
} catch (error) {
  if (!(error instanceof ServiceKitError)) throw error;
  console.error(`order service: ${error.message}`);
  process.exit(2);
}
await main(config);
