import { randomUUID } from "node:crypto";
import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, runMigrations } from "@herald/service-kit";
import { testTokens } from "@herald/service-kit/testing";
import Fastify, { type FastifyInstance } from "fastify";
import type pg from "pg";
import { orderMigrations } from "../src/migrations.js";
import { orderService } from "../src/service.js";
import { BENCH_ADDRESS, benchServiceContext } from "./bench-service.js";

const ORDERS_PER_CASE = Number(process.env.BENCH_ORDERS ?? 600);
const CONCURRENCIES = [1, 8, 32];

const order = () => ({
  customerId: "bench-customer",
  customerEmail: "bench@example.com",
  items: [
    { sku: "HRL-MUG-BLUE", quantity: 2 },
    { sku: "HRL-TEE-BLACK-M", quantity: 1 },
    { sku: "HRL-STICKER-PACK", quantity: 5 },
  ],
  paymentMethodToken: "tok_visa",
  shippingAddress: BENCH_ADDRESS,
});

/**
 * The floor under POST /orders: a Fastify app with nothing but one route that writes the same two
 * rows in one transaction (the order's first event in `order_events`, its outbox row with the
 * writer's transaction id) into the same tables through a pool of the same size, and answers 202.
 * No validation, pricing, view or idempotency: what any service writing an event and an outbox row
 * pays at least.
 */
function bareApp(pool: pg.Pool): FastifyInstance {
  const app = Fastify({ logger: false });
  app.post("/orders", async (request, reply) => {
    const orderId = randomUUID();
    const eventId = randomUUID();
    const data = JSON.stringify({ orderId, ...(request.body as object) });
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        "INSERT INTO order_events (order_id, version, event_id, event_type, data, occurred_at) VALUES ($1, 1, $2, 'OrderPlaced', $3, now())",
        [orderId, eventId, data],
      );
      await client.query(
        `INSERT INTO outbox (tx_id, aggregate_key, topic, event_type, event_id, correlation_id, payload)
         VALUES (pg_current_xact_id(), $1, 'orders', 'OrderPlaced', $2, $1, $3)`,
        [orderId, eventId, data],
      );
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    return reply.status(202).send({ orderId, status: "PLACED" });
  });
  return app;
}

interface Case {
  readonly orders: number;
  readonly perSecond: number;
  readonly latencies: number[];
}

/** `count` POSTs through `inject` from `concurrency` clients, each sending its next as its last returns. */
async function closedLoop(
  app: FastifyInstance,
  concurrency: number,
  count: number,
  headers: Record<string, string>,
): Promise<Case> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const sent = performance.now();
        const response = await app.inject({ method: "POST", url: "/orders", headers, payload: order() });
        if (response.statusCode !== 202)
          throw new Error(`POST /orders answered ${response.statusCode}: ${response.body}`);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    orders: latencies.length,
    perSecond: latencies.length / seconds,
    latencies: latencies.sort((a, b) => a - b),
  };
}

/**
 * POST /orders inside the service (validation, catalog, event store, outbox, view, one Postgres
 * transaction each) against the bare route, both through Fastify's `inject` (no socket, no relay)
 * on one scratch schema, at concurrency 1, 8 and 32. The two alternate per concurrency, so load
 * from elsewhere on the machine hits both alike.
 */
export default {
  name: "order service: POST /orders vs a bare insert route",
  async run({ infra, progress }) {
    const { scratch, context } = await benchServiceContext(infra, "order_bench", {
      // One customer placing thousands of orders a second: what is measured is the route, not its limits.
      ORDER_RATE_LIMIT_PER_CUSTOMER: "100000000",
      ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: "100000000",
    });
    const { pool } = context;
    const service = await buildServiceApp(orderService, context, {});
    // Both routes get the customer's token; the bare one ignores it, POST /orders verifies it.
    const auth = {
      authorization: `Bearer ${await testTokens.customer("bench-customer", "bench@example.com")}`,
    };
    const bare = bareApp(pool);
    try {
      await runMigrations(pool, [...outboxMigrations, ...orderMigrations]);
      progress("warming up");
      await closedLoop(service, 4, 100, auth);
      await closedLoop(bare, 4, 100, auth);

      const rows: Record<string, string | number>[] = [];
      const notes: string[] = [];
      for (const concurrency of CONCURRENCIES) {
        progress(`concurrency ${concurrency}: bare route`);
        const floor = await closedLoop(bare, concurrency, ORDERS_PER_CASE, auth);
        progress(`concurrency ${concurrency}: POST /orders`);
        const measured = await closedLoop(service, concurrency, ORDERS_PER_CASE, auth);
        const row = (path: string, result: Case) => ({
          concurrency,
          path,
          orders: result.orders,
          "orders/s": Math.round(result.perSecond),
          "p50 ms": Number(percentile(result.latencies, 50).toFixed(2)),
          "p99 ms": Number(percentile(result.latencies, 99).toFixed(2)),
          "vs bare": ratio(result.perSecond, floor.perSecond),
        });
        rows.push(row("bare insert route", floor), row("POST /orders", measured));
        notes.push(
          `concurrency ${concurrency}: POST /orders at ${Math.round((100 * measured.perSecond) / floor.perSecond)}% of the bare route's throughput`,
        );
      }
      notes.push(
        `${ORDERS_PER_CASE} orders per case through inject, pool of ${context.config.DATABASE_POOL_SIZE}; POST /orders: catalog lookup, stream read, event append, outbox row, view upsert in one transaction; bare: event row + outbox row`,
      );
      return { rows, notes };
    } finally {
      await service.close();
      await bare.close();
      await pool.end();
      await scratch.drop();
    }
  },
} satisfies Benchmark;
