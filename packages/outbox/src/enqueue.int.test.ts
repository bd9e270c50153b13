import type pg from "pg";
import { describe, expect, it } from "vitest";
import { enqueue, enqueueAll } from "./enqueue.js";
import { OutboxError } from "./errors.js";
import { outboxRig } from "./testing/outbox-rig.js";
import { orderPlaced, waitFor } from "./testing/support.js";

/** Runs `work` in a transaction of its own on a client of `pool`, and ends it with `end`. */
async function inTransaction(
  pool: pg.Pool,
  end: "COMMIT" | "ROLLBACK",
  work: (client: pg.PoolClient) => Promise<unknown>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await work(client);
    await client.query(end);
  } finally {
    client.release();
  }
}

describe("enqueue", { timeout: 90_000 }, () => {
  const { database, setUp, relay } = outboxRig();

  it("rejects an event that does not match its schema and writes nothing", async () => {
    const db = await database();
    const bad = orderPlaced("ord_bad");
    (bad.data.total as { amountMinor: unknown }).amountMinor = "12.50";
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const error = await enqueue(client, bad).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OutboxError);
      expect((error as OutboxError).code).toBe("OUTBOX_SCHEMA_VIOLATION");
      expect((error as OutboxError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/total\.amountMinor/);
      // The transaction is still usable: nothing was sent to the database.
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox");
    expect(rows[0]!.n).toBe(0);
  });

  it("publishes what committed transactions enqueued, in the order given, and nothing rolled back", async () => {
    const { db, collector } = await setUp();
    await relay().start();
    const rolledBack = orderPlaced("ord_1", 0);
    await inTransaction(db.pool, "ROLLBACK", (client) => enqueue(client, rolledBack));
    const together = Array.from({ length: 5 }, (_, i) => orderPlaced("ord_1", i + 1));
    await inTransaction(db.pool, "COMMIT", (writer) => enqueueAll(writer, together));
    const ids = together.map((event) => event.data.metadata.eventId);
    await waitFor("the committed events", () => ids.every((id) => collector.seen.has(id)));
    expect(collector.arrivals.map((arrival) => arrival.eventId)).toEqual(ids);
    expect(collector.seen.has(rolledBack.data.metadata.eventId)).toBe(false);
  });
});
