import { defineService } from "@herald/service-kit";
import { Counter } from "prom-client";
import { registerCatalogRoutes } from "./catalog/routes.js";
import { configSpec, manifest } from "./config.js";
import { ORDER_ERROR_STATUS } from "./errors.js";
import { orderMigrations } from "./migrations.js";
import { createOrderHandler } from "./orders/handler.js";
import { purgeIdempotencyKeys } from "./orders/idempotency.js";
import { registerOrderRoutes } from "./orders/routes.js";
import { createSagaHandler, SAGA_TOPICS } from "./orders/saga.js";
import { sagaDurations } from "./orders/saga-metrics.js";
import { moneySchema } from "./orders/schemas.js";

/** Orders are small: 100 lines and an address fit in a few KiB; anything past 32 KiB is refused with 413. */
export const BODY_LIMIT = 32 * 1024;

const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** The Order service: HTTP placement and cancellation, and the order side of the saga. */
export const orderService = defineService({
  manifest,
  description: "Places and cancels orders; the order saga runs on Kafka events behind it.",
  configSpec,
  migrations: orderMigrations,
  consumer: {
    topics: SAGA_TOPICS,
    handler: ({ pool, logger, now, metrics, config }) =>
      createSagaHandler(
        createOrderHandler({ pool, now, snapshotEvery: config.ORDER_SNAPSHOT_EVERY }),
        logger,
        sagaDurations(metrics),
      ),
  },
  http: { errorStatus: ORDER_ERROR_STATUS, bodyLimit: BODY_LIMIT },
  routes(app, { pool, metrics, now, config }) {
    app.addSchema(moneySchema);
    const placed = new Counter({
      name: "orders_placed_total",
      help: "Orders placed (idempotent replays not counted)",
      registers: [metrics],
    });
    registerOrderRoutes(
      app,
      createOrderHandler({ pool, now, snapshotEvery: config.ORDER_SNAPSHOT_EVERY }),
      placed,
      {
        perCustomer: config.ORDER_RATE_LIMIT_PER_CUSTOMER,
        perClientAddress: config.ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS,
      },
    );
    registerCatalogRoutes(app, pool);
  },
  background({ pool, logger }) {
    const purge = setInterval(() => {
      purgeIdempotencyKeys(pool, IDEMPOTENCY_KEY_TTL_MS).then(
        (purged) => purged > 0 && logger.info({ purged }, "expired idempotency keys purged"),
        (error: unknown) => logger.warn({ err: error }, "purging idempotency keys failed"),
      );
    }, IDEMPOTENCY_PURGE_INTERVAL_MS);
    purge.unref();
    return () => clearInterval(purge);
  },
});
