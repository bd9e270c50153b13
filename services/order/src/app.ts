import { createHttpServer, type ReadinessCheck } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { registerCatalogRoutes } from "./catalog/routes.js";
import { ORDER_ERROR_STATUS } from "./errors.js";
import type { OrderHandler } from "./orders/handler.js";
import { registerOrderRoutes } from "./orders/routes.js";
import { moneySchema } from "./orders/schemas.js";

export interface AppDependencies {
  readonly pool: pg.Pool;
  readonly handler: OrderHandler;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/** Orders are small: 100 lines and an address fit in a few KiB; anything past 32 KiB is refused with 413. */
export const BODY_LIMIT = 32 * 1024;

/** The Order service's HTTP API, from injected dependencies (tests `inject` into it). */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = await createHttpServer({
    logger: deps.logger,
    api: {
      title: "Herald Order service",
      version: "1.0.0",
      description: "Places and cancels orders; the order saga runs on Kafka events behind it.",
    },
    metrics: deps.metrics,
    readiness: deps.readiness,
    errorStatus: ORDER_ERROR_STATUS,
    bodyLimit: BODY_LIMIT,
  });
  app.addSchema(moneySchema);
  const placed = new Counter({
    name: "orders_placed_total",
    help: "Orders placed (idempotent replays not counted)",
    registers: [deps.metrics],
  });
  registerOrderRoutes(app, deps.handler, placed);
  registerCatalogRoutes(app, deps.pool);
  return app;
}
