import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { sampleEvent } from "@herald/events/testing";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, runMigrations } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import { type Inject, injectAs, testTokens } from "@herald/service-kit/testing";
import { orderMigrations } from "../src/migrations.js";
import { orderDecider } from "../src/orders/decider.js";
import type { OrderEvent } from "../src/orders/domain.js";
import { appendToStream, readStream } from "../src/orders/event-store.js";
import { snapshotIfDue } from "../src/orders/snapshots.js";
import { orderService } from "../src/service.js";
import { CUSTOMER, validOrder } from "../src/testing/harness.js";
import { benchServiceContext } from "./bench-service.js";

const LONG_STREAM = Number(process.env.BENCH_STREAM_EVENTS ?? 10_000);
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
 * of 10,000 (OrderPlaced, then confirmations and cancellations in turn, appended straight to the
 * event store in transactions of 100 with the snapshots the handler would store: the decider would
 * never allow them, but the reads fold whatever is there). GET /orders/:id reads the view row;
 * `?asOf=` the latest snapshot and the events after it: first with a snapshot at the last version,
 * then with the most a read ever folds, that snapshot deleted (snapshots are a cache) to leave
 * ORDER_SNAPSHOT_EVERY - 1 events after the one before; `/history` one page, the first and the last.
 */
export default {
  name: `order service: reading an order with a ${LONG_STREAM.toLocaleString("en")}-event stream`,
  async run({ infra, progress }) {
    const { scratch, context } = await benchServiceContext(
      infra,
      "order_stream_bench",
      process.env.ORDER_SNAPSHOT_EVERY ? { ORDER_SNAPSHOT_EVERY: process.env.ORDER_SNAPSHOT_EVERY } : {},
    );
    const { pool } = context;
    const every = context.config.ORDER_SNAPSHOT_EVERY;
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
        let state = foldFacts(
          orderDecider,
          null,
          (await readStream(client, long)).map((recorded) => recorded.event),
        );
        for (let i = 0; i < more.length; i += 100) {
          const batch = more.slice(i, i + 100);
          await client.query("BEGIN");
          await appendToStream(client, long, 1 + i, batch);
          state = foldFacts(orderDecider, state, batch);
          await snapshotIfDue(client, state!, batch.length, every);
          await client.query("COMMIT");
        }
      } finally {
        client.release();
      }
      // The statistics a live table has: on a fresh one the planner reads a 100-event page of a
      // 10,000-event order as a bitmap of the whole order and a sort (5 ms against 0.08).
      await pool.query("ANALYZE order_events, order_snapshots");
      /** Deletes the long stream's latest snapshot (a cache: no answer changes). */
      const dropLatestSnapshot = async () => {
        await pool.query(
          `DELETE FROM order_snapshots WHERE order_id = $1
            AND version = (SELECT max(version) FROM order_snapshots WHERE order_id = $1)`,
          [long],
        );
        const { rows } = await pool.query<{ version: number }>(
          "SELECT max(version) AS version FROM order_snapshots WHERE order_id = $1",
          [long],
        );
        snapshotsBehind.push(
          `${LONG_STREAM - rows[0]!.version} events after the latest snapshot left (version ${rows[0]!.version})`,
        );
      };
      const snapshotsBehind: string[] = [];
      const asOf = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
      const reads: [string, (id: string) => string, (() => Promise<void>)?][] = [
        ["GET /orders/:id", (id: string) => `/orders/${id}`],
        ["GET /orders/:id?asOf=, snapshot at the last version", (id) => `/orders/${id}?asOf=${asOf}`],
        [
          "GET /orders/:id?asOf=, that snapshot deleted",
          (id) => `/orders/${id}?asOf=${asOf}`,
          dropLatestSnapshot,
        ],
        ["GET /orders/:id/history (first page)", (id) => `/orders/${id}/history`],
        [
          "GET /orders/:id/history?after= (last page)",
          (id) => `/orders/${id}/history?after=${id === long ? LONG_STREAM - 100 : 0}`,
        ],
      ];
      const rows: Record<string, string | number>[] = [];
      for (const [read, url, before] of reads) {
        progress(read);
        await before?.();
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
        notes: [
          `${REQUESTS} sequential requests per case through inject, after 20 unmeasured`,
          `snapshots every ${every} versions (ORDER_SNAPSHOT_EVERY); "that snapshot deleted" folds the ${snapshotsBehind.join(", ")}`,
        ],
      };
    } finally {
      await service.close();
      await pool.end();
      await scratch.drop();
    }
  },
} satisfies Benchmark;
