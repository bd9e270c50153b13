import { createScratchSchema, kafkaLoginEnvironment } from "@herald/dev-stack";
import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { sampleEvent } from "@herald/events/testing";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, createServiceContext, runMigrations } from "@herald/service-kit";
import { type Inject, injectAs, testTokens } from "@herald/service-kit/testing";
import { pino } from "pino";
import { orderMigrations } from "../src/migrations.js";
import type { OrderEvent } from "../src/orders/domain.js";
import { appendToStream } from "../src/orders/event-store.js";
import { orderService } from "../src/service.js";
import { CUSTOMER, validOrder } from "../src/testing/harness.js";

const LONG_STREAM = Number(process.env.BENCH_STREAM_EVENTS ?? 1_000);
const REQUESTS = Number(process.env.BENCH_STREAM_REQUESTS ?? 200);

/** `requests` GETs of `url` one after another; latencies in ms, ascending. */
async function timeGets(app: Inject, url: string, requests: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await app({ method: "GET", url });
    if (response.statusCode !== 200)
      throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`);
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * How reading one order grows with its stream: an order of one event (the baseline) against one
 * of 1,000 (OrderPlaced, then confirmations and cancellations in turn, appended straight to the
 * event store: the decider would never allow them, but the reads fold whatever is there). GET
 * /orders/:id reads the view row; `?asOf=` and `/history` read and fold the whole stream.
 */
export default {
  name: "order service: reading an order with a 1,000-event stream",
  async run({ infra, progress }) {
    const scratch = await createScratchSchema(infra.databaseUrls.order, "order_stream_bench");
    const context = createServiceContext(orderService, {
      env: {
        DATABASE_URL: scratch.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(","),
        ...kafkaLoginEnvironment(infra.kafkaLogin),
        SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
      },
      logger: pino({ level: "silent" }),
    });
    const { pool } = context;
    const service = await buildServiceApp(orderService, context, {});
    const app = injectAs(service, await testTokens.customer(CUSTOMER.id, CUSTOMER.email));
    try {
      await runMigrations(pool, [...outboxMigrations, ...orderMigrations]);
      const place = async () => {
        const response = await app({ method: "POST", url: "/orders", payload: validOrder() });
        return (JSON.parse(response.body) as { orderId: string }).orderId;
      };
      const short = await place();
      const long = await place();
      progress(`appending ${LONG_STREAM - 1} events to one order`);
      const more: OrderEvent[] = Array.from(
        { length: LONG_STREAM - 1 },
        (_, i) =>
          (i % 2 === 0
            ? sampleEvent("OrderConfirmed", { orderId: long })
            : sampleEvent("OrderCancelled", { orderId: long })) as OrderEvent,
      );
      const client = await pool.connect();
      try {
        for (let i = 0; i < more.length; i += 100)
          await appendToStream(client, long, 1 + i, more.slice(i, i + 100));
      } finally {
        client.release();
      }
      const asOf = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
      const reads = [
        ["GET /orders/:id", (id: string) => `/orders/${id}`],
        ["GET /orders/:id?asOf=", (id: string) => `/orders/${id}?asOf=${asOf}`],
        ["GET /orders/:id/history", (id: string) => `/orders/${id}/history`],
      ] as const;
      const rows: Record<string, string | number>[] = [];
      for (const [read, url] of reads) {
        progress(read);
        await timeGets(app, url(short), 20);
        await timeGets(app, url(long), 20);
        const one = await timeGets(app, url(short), REQUESTS);
        const many = await timeGets(app, url(long), REQUESTS);
        const row = (events: number, latencies: number[]) => ({
          read,
          "stream events": events,
          "p50 ms": Number(percentile(latencies, 50).toFixed(2)),
          "p99 ms": Number(percentile(latencies, 99).toFixed(2)),
          "vs 1 event (p50)": ratio(percentile(latencies, 50), percentile(one, 50)),
        });
        rows.push(row(1, one), row(LONG_STREAM, many));
      }
      return {
        rows,
        notes: [`${REQUESTS} sequential requests per case through inject, after 20 unmeasured`],
      };
    } finally {
      await service.close();
      await pool.end();
      await scratch.drop();
    }
  },
} satisfies Benchmark;
