import { createScratchSchema } from "@herald/dev-stack";
import type { Benchmark } from "@herald/dev-stack/bench";
import pg from "pg";
import { enqueue } from "../src/enqueue.js";
import { outboxMigrations } from "../src/migrations.js";
import { orderPlaced } from "../src/testing/events.js";

const SECONDS = Number(process.env.BENCH_WAKEUP_SECONDS ?? 8);
const CONCURRENCY = [8, 32];

/**
 * What the relays' wake-ups cost writers: enqueue-and-commit throughput at 8 and 32 connections
 * with the outbox's trigger while no relay is registered as idle (a relay under load), and while
 * one is (every commit notifies: NOTIFY takes a cluster-wide lock across the commit's WAL flush),
 * against the same outbox with no trigger at all (the baseline).
 */
export default {
  name: "outbox wake-ups: writers' commits with the notify trigger",
  async run({ infra, progress }) {
    const scratch = await createScratchSchema(infra.databaseUrls.order, "bench_wakeup");
    const pool = new pg.Pool({ connectionString: scratch.url, max: Math.max(...CONCURRENCY) + 1 });
    const registered = new pg.Client({ connectionString: scratch.url });
    await registered.connect();
    const rows: Record<string, string | number>[] = [];
    try {
      for (const migration of outboxMigrations) await pool.query(migration.sql);
      const commits = async (connections: number) => {
        let n = 0;
        const end = Date.now() + SECONDS * 1000;
        await Promise.all(
          Array.from({ length: connections }, async (_, c) => {
            const client = await pool.connect();
            try {
              for (let i = 0; Date.now() < end; i++) {
                await client.query("BEGIN");
                await enqueue(client, orderPlaced(`ord_${c}_${i % 50}`, i));
                await client.query("COMMIT");
                n++;
              }
            } finally {
              client.release();
            }
          }),
        );
        return n / SECONDS;
      };
      for (const connections of CONCURRENCY) {
        progress(`${connections} connections: no trigger`);
        await pool.query("DROP TRIGGER outbox_wake_relays ON outbox");
        const baseline = await commits(connections);
        await pool.query(
          "CREATE TRIGGER outbox_wake_relays AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION wake_idle_listeners('herald_outbox')",
        );
        progress(`${connections} connections: trigger, nobody registered`);
        const busy = await commits(connections);
        await registered.query(
          "INSERT INTO idle_listeners (channel, pid) VALUES ('herald_outbox', pg_backend_pid())",
        );
        progress(`${connections} connections: trigger, a relay registered as idle`);
        const idle = await commits(connections);
        await registered.query("DELETE FROM idle_listeners");
        const row = (kind: string, perSecond: number) => ({
          connections,
          case: kind,
          "commits/s": Math.round(perSecond),
          "vs no trigger": Number((perSecond / baseline).toFixed(2)),
        });
        rows.push(
          row("no trigger (baseline)", baseline),
          row("trigger, no relay registered (relays busy)", busy),
          row("trigger, a relay registered (every commit notifies)", idle),
        );
      }
    } finally {
      await registered.end();
      await pool.end();
      await scratch.drop().catch(() => {});
    }
    return {
      rows,
      notes: [
        "Relays register only after a quarter of a second with nothing to publish, and unregister when they find rows: under load writers run the middle row.",
      ],
    };
  },
} satisfies Benchmark;
