import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { enqueue } from "./enqueue.js";
import { outboxRig } from "./testing/outbox-rig.js";
import { firstArrivalOrder, orderPlaced, waitFor, writeSteadily } from "./testing/support.js";

describe("the relay", { timeout: 90_000 }, () => {
  const { setUp, relay } = outboxRig();

  it("delivers every event when transactions commit out of id order", async () => {
    const { db, collector } = await setUp();
    await relay().start();
    const written: { eventId: string; id: number }[] = [];
    const commit = async (client: pg.PoolClient, orderId: string, sequence: number, holdMs: number) => {
      await client.query("BEGIN");
      const event = orderPlaced(orderId, sequence);
      await enqueue(client, event);
      const { rows } = await client.query<{ id: string }>("SELECT currval('outbox_id_seq')::text AS id");
      await sleep(holdMs);
      await client.query("COMMIT");
      written.push({ eventId: event.data.metadata.eventId, id: Number(rows[0]!.id) });
    };
    // Each writer holds its transaction open for a random while after taking its id, so later
    // ids keep committing before earlier ones while the relay runs.
    const writer = async (w: number) => {
      for (let i = 0; i < 15; i++) {
        const client = await db.pool.connect();
        try {
          await commit(client, `ord_${w}_${i}`, i, Math.floor(Math.random() * 40));
        } finally {
          client.release();
        }
      }
    };
    const writers = Promise.all(Array.from({ length: 12 }, (_, w) => writer(w)));
    // A straggler takes an id while the others are busy and commits after many later ids.
    await waitFor("the relay to publish", () => collector.seen.size >= 20);
    const straggler = await db.pool.connect();
    const before = written.length;
    const late = commit(straggler, "ord_late", 0, 0).finally(() => straggler.release());
    await waitFor("later ids to commit", () => written.length >= before + 40 || written.length >= 12 * 15);
    await late;
    await writers;

    await waitFor("every event to arrive", () => written.every((w) => collector.seen.has(w.eventId)), 60_000);
    expect(collector.seen.size).toBe(written.length);
    const outOfOrder = written.filter((w, i) => written.slice(i + 1).some((later) => later.id < w.id));
    expect(outOfOrder.length).toBeGreaterThan(0);
  });

  it("keeps each aggregate's order with two relays sharing the outbox", async () => {
    const { db, collector } = await setUp();
    const published = [0, 0];
    const fast = { rebalanceIntervalMs: 300 };
    const counting = (index: number) => ({
      published: ({ events }: { events: readonly unknown[] }) => {
        published[index]! += events.length;
      },
    });
    const first = relay({ ...fast, hooks: counting(0) });
    const second = relay({ ...fast, hooks: counting(1) });
    await first.start();
    const expected = new Map<string, string[]>();
    let writing = true;
    // 16 orders written concurrently, each event of an order in its own transaction after the last.
    const writer = async (order: number) => {
      const key = `ord_${order}`;
      const ids: string[] = [];
      expected.set(key, ids);
      for (let i = 0; writing || i < 10; i++) {
        const event = orderPlaced(key, i);
        await db.write([event]);
        ids.push(event.data.metadata.eventId);
        await sleep(10 + Math.floor(Math.random() * 40));
      }
    };
    const writers = Promise.all(Array.from({ length: 16 }, (_, order) => writer(order)));
    await waitFor("the first relay to publish", () => published[0]! >= 50);
    // The second relay joins mid-stream: half the buckets move from the first to it.
    await second.start();
    await waitFor("the second relay to take buckets over", () => published[1]! >= 50);
    const firstSoFar = published[0]!;
    await waitFor("both relays to publish side by side", () => published[0]! >= firstSoFar + 50);
    // Then the first stops mid-stream: the second takes its buckets too.
    await first.stop();
    const handedOver = published[1]!;
    await waitFor("the second relay to publish the rest", () => published[1]! >= handedOver + 100);
    writing = false;
    await writers;

    const total = [...expected.values()].reduce((sum, ids) => sum + ids.length, 0);
    await waitFor("every event to arrive", () => collector.seen.size >= total, 60_000);
    expect(collector.seen.size).toBe(total);
    const arrived = firstArrivalOrder(collector.arrivals);
    for (const [key, ids] of expected) expect(arrived.get(key), key).toEqual(ids);
    // Buckets change hands only after their progress is saved: nothing is published twice.
    expect(collector.duplicates()).toBe(0);
  });

  it("keeps going when its database connections are killed", async () => {
    const { db, collector } = await setUp();
    const errors: string[] = [];
    await relay({ hooks: { error: (error) => errors.push(error.code) } }).start();
    const writer = writeSteadily(db, { perTransaction: 1, keys: 20, pauseMs: 5 });
    const { written } = writer;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    for (let round = 0; round < 3; round++) {
      await waitFor(
        "progress",
        () => collector.seen.size > written.length / 2 && written.length > 20 * (round + 1),
      );
      // Only this test's relay connections: their last statement names this test's schema. Tried
      // until the relay reports the loss, in case the session was between such statements.
      await waitFor("the relay to notice its connection was killed", async () => {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'herald-outbox-relay' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
          [db.schema],
        );
        return errors.includes("OUTBOX_DATABASE_UNAVAILABLE");
      });
      errors.length = 0;
    }
    await writer.stop();
    await admin.end();
    await waitFor("every event to arrive", () => written.every((id) => collector.seen.has(id)), 60_000);
    expect(collector.seen.size).toBe(written.length);
  });

  it("keeps the outbox bounded: published partitions are dropped, rows never updated", async () => {
    const { db, collector } = await setUp();
    // Small partitions instead of the migration's 100,000-id ones, so a few hundred rows span many.
    await db.pool.query(`DROP TABLE outbox_p1, outbox_p100001, outbox_p200001`);
    await db.pool.query(`CREATE TABLE outbox_p1 PARTITION OF outbox FOR VALUES FROM (1) TO (51)`);
    const metrics = new Registry();
    let dropped = 0;
    await relay({
      partitionSize: 50,
      partitionsAhead: 4,
      maintenanceIntervalMs: 100,
      metrics,
      hooks: {
        maintained: (result) => {
          dropped += result.dropped;
        },
      },
    }).start();
    const written: string[] = [];
    for (let i = 0; i < 60; i++) {
      const events = Array.from({ length: 5 }, (_, j) => orderPlaced(`ord_${j}`, i));
      await db.write(events);
      written.push(...events.map((event) => event.data.metadata.eventId));
      // Maintenance adds partitions every 100 ms; this pace stays well inside the 200 ids kept ahead.
      await sleep(30);
    }
    await waitFor("every event to arrive", () => collector.seen.size >= written.length, 60_000);
    const partitions = async () =>
      (
        await db.pool.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'outbox'::regclass`,
        )
      ).rows.map((row) => row.name);
    // 300 ids: only the partitions kept ahead of the newest id remain.
    await waitFor("published partitions to be dropped", async () => (await partitions()).length <= 5, 30_000);
    expect(dropped).toBeGreaterThanOrEqual(4);
    const remaining = await db.pool.query<{ rows: number }>("SELECT count(*)::int AS rows FROM outbox");
    expect(remaining.rows[0]!.rows).toBeLessThanOrEqual(50);
    const stats = await db.pool.query<{ updated: string; deleted: string }>(
      `SELECT coalesce(sum(n_tup_upd), 0)::text AS updated, coalesce(sum(n_tup_del), 0)::text AS deleted
         FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname LIKE 'outbox_p%'`,
    );
    expect(stats.rows[0]).toEqual({ updated: "0", deleted: "0" });
    await waitFor("the backlog gauge to reach zero", async () => {
      const metric = await metrics.getSingleMetric("herald_outbox_backlog")?.get();
      return metric?.values[0]?.value === 0;
    });
    const latency = await metrics.getSingleMetric("herald_outbox_publish_latency_seconds")?.get();
    expect(
      latency?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith("_count"))?.value,
    ).toBeGreaterThanOrEqual(300);
  });
});
