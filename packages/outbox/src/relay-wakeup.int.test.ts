import pg from "pg";
import { describe, expect, it } from "vitest";
import { enqueue } from "./enqueue.js";
import type { Relay } from "./relay.js";
import { outboxRig } from "./testing/outbox-rig.js";
import { type Collector, orderPlaced, type TestDatabase, waitFor } from "./testing/support.js";

/** Far longer than any wait below: a relay that publishes within the test woke on a notification. */
const MINUTES = 10 * 60_000;

describe("the relay's wake-ups", { timeout: 90_000 }, () => {
  const { setUp: setUpOutbox, relay: relayOf, stopRelays } = outboxRig();

  async function setUp(): Promise<{ db: TestDatabase; collector: Collector; relay: Relay }> {
    const { db, collector } = await setUpOutbox();
    const buckets: number[][] = [];
    const relay = relayOf({
      // Neither polling nor re-balancing would look again within the test.
      pollIntervalMs: { min: MINUTES, max: MINUTES },
      fallbackPollMs: MINUTES,
      rebalanceIntervalMs: MINUTES,
      hooks: { bucketsChanged: (owned) => buckets.push([...owned]) },
    });
    await relay.start();
    await waitFor("the relay to own every bucket", () => buckets.at(-1)?.length === 16);
    return { db, collector, relay };
  }

  /** Whether a relay session is registered as idle on this outbox, so that writers notify it. */
  async function registeredIdle(db: TestDatabase): Promise<boolean> {
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM idle_listeners WHERE channel = 'herald_outbox'",
    );
    return rows[0]!.n === 1;
  }

  it("does not notify while no relay is registered as idle, so busy writers' commits stay independent", async () => {
    const { db } = await setUp();
    await waitFor("the relay to register as idle", () => registeredIdle(db));
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on("notification", (message) => heard.push(message.payload ?? ""));
      await listener.query("LISTEN herald_outbox");
      await db.write([orderPlaced("ord_heard", 0)]);
      await waitFor("the notification", () => heard.includes(db.schema));
      // With nobody registered (the relay gone), a write notifies no one.
      await stopRelays();
      expect(await registeredIdle(db)).toBe(false);
      heard.length = 0;
      await db.write([orderPlaced("ord_unheard", 0)]);
      // A notification sent after the write would arrive before the answer to a later query.
      await listener.query("SELECT 1");
      await db.write([orderPlaced("ord_unheard", 1)]);
      await listener.query("SELECT 1");
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it("drops the registrations of loops that died, so writers stop notifying them", async () => {
    const { db } = await setUpOutbox({ collect: false });
    // A payment worker's entry whose backend is gone (no live pid is negative).
    await db.pool.query("INSERT INTO idle_listeners (channel, pid) VALUES ('herald_payment_work', -1)");
    await relayOf({ rebalanceIntervalMs: 200 }).start();
    await waitFor("the dead entry to be dropped", async () => {
      const { rows } = await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM idle_listeners WHERE pid = -1",
      );
      return rows[0]!.n === 0;
    });
  });

  it("publishes each row committed while it is idle, woken by the commit's notification", async () => {
    const { db, collector } = await setUp();
    // Each row is written once the one before it has arrived and the relay has registered as idle
    // again (it unregisters when it finds rows), so it is waiting for a notification each time.
    for (let i = 0; i < 4; i++) {
      await waitFor("the relay to register as idle", () => registeredIdle(db));
      const event = orderPlaced(`ord_idle_${i}`, 0);
      await db.write([event]);
      await waitFor(`event ${i} to arrive`, () => collector.seen.has(event.data.metadata.eventId));
    }
    expect(collector.seen.size).toBe(4);
  });

  it("publishes rows held back by an open writer when that writer commits", async () => {
    const { db, collector } = await setUp();
    await waitFor("the relay to register as idle", () => registeredIdle(db));
    const holder = await db.pool.connect();
    try {
      await holder.query("BEGIN");
      const held = orderPlaced("ord_held", 0);
      await enqueue(holder, held);
      // A later id commits first: the relay is woken, sees the open writer below it and waits.
      const later = orderPlaced("ord_later", 0);
      const committedAt = await db.pool.query<{ at: Date }>("SELECT clock_timestamp() AS at");
      await db.write([later]);
      // The relay's session (the one holding this outbox's membership lock) ran a query after that
      // commit: it was woken, and looked while the older writer was still open.
      await waitFor("the relay to look after the commit", async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              AND l.classid = (hashtext($1 || ':members') & 2147483647)::bigint::oid
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND a.query_start > $2`,
          [`${pg.escapeIdentifier(db.schema)}.outbox`, committedAt.rows[0]!.at],
        );
        return rows[0]!.n === 1;
      });
      expect(collector.seen.has(later.data.metadata.eventId)).toBe(false);
      await holder.query("COMMIT");
      await waitFor("both events to arrive", () =>
        [held, later].every((event) => collector.seen.has(event.data.metadata.eventId)),
      );
    } finally {
      holder.release();
    }
  });
});
