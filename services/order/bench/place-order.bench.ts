import { randomUUID } from "node:crypto";
import { createScratchSchema } from "@herald/dev-stack";
import { type Benchmark, percentile } from "@herald/dev-stack/bench";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, createServiceContext, runMigrations } from "@herald/service-kit";
import { pino } from "pino";
import { orderMigrations } from "../src/migrations.js";
import { orderService } from "../src/service.js";

const ORDERS_PER_CASE = 300;

const order = () => ({
  customerId: "bench-customer",
  customerEmail: "bench@example.com",
  items: [
    { sku: "HRL-MUG-BLUE", quantity: 2 },
    { sku: "HRL-TEE-BLACK-M", quantity: 1 },
    { sku: "HRL-STICKER-PACK", quantity: 5 },
  ],
  paymentMethodToken: "tok_visa",
  shippingAddress: {
    recipientName: "Bench",
    line1: "1 Loop Rd",
    city: "Berlin",
    postalCode: "10115",
    country: "DE",
  },
});

/**
 * POST /orders end to end inside the service (validation, catalog, event store, outbox, view, one
 * Postgres transaction each) through Fastify's inject, at a few concurrencies. No HTTP socket, no
 * relay: this is the write path's cost.
 */
export default {
  name: "order service: placing orders",
  async run({ infra }) {
    const scratch = await createScratchSchema(infra.databaseUrls.order, "order_bench");
    const context = createServiceContext(orderService, {
      env: {
        DATABASE_URL: scratch.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(","),
        SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
      },
      logger: pino({ level: "silent" }),
    });
    const { pool } = context;
    try {
      await runMigrations(pool, [...outboxMigrations, ...orderMigrations]);
      const app = await buildServiceApp(orderService, context, {});
      const place = async (key?: string) => {
        const started = performance.now();
        const response = await app.inject({
          method: "POST",
          url: "/orders",
          payload: order(),
          headers: key ? { "idempotency-key": key } : {},
        });
        if (response.statusCode !== 202)
          throw new Error(`POST /orders answered ${response.statusCode}: ${response.body}`);
        return performance.now() - started;
      };
      for (let i = 0; i < 30; i++) await place();

      const rows: Record<string, string | number>[] = [];
      for (const [concurrency, keyed] of [
        [1, false],
        [8, false],
        [8, true],
      ] as const) {
        const latencies: number[] = [];
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < ORDERS_PER_CASE) {
              next++;
              latencies.push(await place(keyed ? randomUUID() : undefined));
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        latencies.sort((a, b) => a - b);
        rows.push({
          case: `concurrency ${concurrency}${keyed ? ", Idempotency-Key" : ""}`,
          orders: latencies.length,
          "orders/s": Math.round(latencies.length / seconds),
          "p50 ms": Number(percentile(latencies, 50).toFixed(2)),
          "p99 ms": Number(percentile(latencies, 99).toFixed(2)),
        });
      }
      await app.close();
      return {
        rows,
        notes: ["each order: catalog lookup, event append, outbox row, view upsert in one transaction"],
      };
    } finally {
      await pool.end();
      await scratch.drop();
    }
  },
} satisfies Benchmark;
