import { createScratchSchema, serviceEnvironment, testInfra } from "@herald/dev-stack/testing";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, createServiceContext, runMigrations } from "@herald/service-kit";
import { type Inject, injectAs, testTokens } from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { pino } from "pino";
import type { Registry } from "prom-client";
import { orderMigrations } from "../migrations.js";
import { createOrderHandler, type OrderHandler } from "../orders/handler.js";
import { orderService } from "../service.js";

export const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** The Order service's app on its own fresh Postgres schema, with a clock the test can move. */
export interface Harness {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly app: FastifyInstance;
  /** Requests as the customer of {@link validOrder} (cust-42, ada@example.com). */
  readonly customer: Inject;
  /** Requests as support staff, who act for any customer. */
  readonly support: Inject;
  readonly handler: OrderHandler;
  readonly metrics: Registry;
  /** Moves the handler's clock; the real time is used until it is set. */
  setNow(at: Date | undefined): void;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function createHarness(
  options: { poolSize?: number; env?: Record<string, string> } = {},
): Promise<Harness> {
  const scratch = await createScratchSchema(testInfra().databaseUrls.order, "order_test");
  let now: Date | undefined;
  const context = createServiceContext(orderService, {
    env: serviceEnvironment(scratch.url, {
      DATABASE_POOL_SIZE: String(options.poolSize ?? 5),
      ...options.env,
    }),
    logger,
    now: () => now ?? new Date(),
  });
  const { pool, metrics } = context;
  await runMigrations(pool, [...outboxMigrations, ...orderMigrations]);
  const handler = createOrderHandler({ pool, now: context.now });
  const app = await buildServiceApp(orderService, context);
  await app.ready();
  return {
    schema: scratch.name,
    pool,
    app,
    customer: injectAs(app, await testTokens.customer(CUSTOMER.id, CUSTOMER.email)),
    support: injectAs(app, await testTokens.staff("support")),
    handler,
    metrics,
    setNow(at) {
      now = at;
    },
    async count(table) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`,
      );
      return rows[0]!.n;
    },
    async close() {
      await app.close();
      await pool.end();
      await scratch.drop();
    },
  };
}

/** The customer the harness's `customer` requests come from. */
export const CUSTOMER = { id: "cust-42", email: "ada@example.com" } as const;

export const validOrder = () => ({
  customerId: CUSTOMER.id,
  customerEmail: CUSTOMER.email,
  items: [
    { sku: "HRL-MUG-BLUE", quantity: 2 },
    { sku: "HRL-TEE-BLACK-M", quantity: 1 },
  ],
  paymentMethodToken: "tok_visa",
  shippingAddress: {
    recipientName: "Ada Lovelace",
    line1: "12 Analytical Row",
    city: "London",
    postalCode: "N1 9GU",
    country: "GB",
  },
});

/** 2 × 12.90 + 1 × 24.90 from the seeded catalog. */
export const VALID_ORDER_TOTAL = { amountMinor: 5070, currency: "EUR" };
