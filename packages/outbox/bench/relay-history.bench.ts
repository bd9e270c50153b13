import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { schemaFingerprintOf } from "@herald/events";
import { park } from "../src/parking.js";
import { maintainPartitions, resolveOutboxTables } from "../src/partitions.js";
import { orderPlaced } from "../src/testing/events.js";
import { createRelayRig, type Measured, type RelayRig, row } from "./relay-rig.js";

const HISTORY_ROWS = Number(process.env.BENCH_RELAY_HISTORY ?? 1_000_000);
const CHUNK = 100_000;
const RATE = 1_000;
const SECONDS = Number(process.env.BENCH_RELAY_SECONDS ?? 10);
const DRAIN_EVENTS = Number(process.env.BENCH_RELAY_DRAIN ?? 20_000);

/**
 * Puts `rows` published rows behind the relay's cursors, and keeps them: the first is parked (its
 * writer schema is one no relay has), so no partition may be dropped, as when an aggregate waits
 * for an operator for days. The history's aggregates are not the measured ones.
 */
async function addHistory(rig: RelayRig, rows: number): Promise<void> {
  const client = await rig.pool.connect();
  try {
    const tables = (await resolveOutboxTables(client))!;
    const payload = JSON.stringify(orderPlaced("hist_0", 0).data);
    const insert = (count: number, fingerprint: string) =>
      client.query(
        `INSERT INTO outbox (tx_id, aggregate_key, topic, event_type, event_id, correlation_id, payload, schema_fingerprint)
         SELECT pg_current_xact_id(), 'hist_' || (g % 1000), 'orders', 'OrderPlaced', gen_random_uuid(), 'history', $1::json, $2
           FROM generate_series(0, $3::int - 1) AS g`,
        [payload, fingerprint, count],
      );
    await insert(1, "0000000000000000");
    for (let done = 1; done < rows; done += CHUNK) {
      await maintainPartitions(client, tables, { size: CHUNK, ahead: 3, drop: false });
      await insert(Math.min(CHUNK, rows - done), schemaFingerprintOf("OrderPlaced")!);
    }
    await maintainPartitions(client, tables, { size: CHUNK, ahead: 3, drop: false });
    const { rows: first } = await client.query<{ id: string; bucket: number }>(
      "SELECT id::text, bucket FROM outbox ORDER BY id LIMIT 1",
    );
    await park(
      client,
      tables,
      { id: first[0]!.id, bucket: first[0]!.bucket, aggregateKey: "hist_0" },
      { code: "OUTBOX_UNENCODABLE_ROW", reason: "history for the benchmark" },
    );
    await client.query("UPDATE outbox_relay_state SET published_through = (SELECT max(id) FROM outbox)");
    await client.query("ANALYZE outbox");
  } finally {
    client.release();
  }
}

/**
 * The relay on an empty outbox (the baseline) and on one with a 1M-row published history kept
 * behind its cursors: commit → ack at 1,000 ev/s and a backlog drain, in one run.
 */
export default {
  name: "outbox relay with a 1M-row history vs an empty outbox",
  async run({ infra, progress }) {
    const results: { label: string; steady: Measured; drain: Measured }[] = [];
    for (const history of [0, HISTORY_ROWS]) {
      const label = history === 0 ? "empty outbox" : `${history.toLocaleString("en")} rows of history`;
      const rig = await createRelayRig(infra, history === 0 ? "relay_fresh" : "relay_history");
      try {
        if (history > 0) {
          progress(`writing ${history} rows of history`);
          await addHistory(rig, history);
        }
        await rig.relay.start();
        progress(`${label}: warming up`);
        await rig.relayAt(200, 2, 0);
        progress(`${label}: ${RATE} ev/s`);
        const steady = await rig.relayAt(RATE, SECONDS, 1_000);
        progress(`${label}: draining ${DRAIN_EVENTS}`);
        const drain = await rig.relayDrain(DRAIN_EVENTS, 1_000 + RATE * SECONDS);
        results.push({ label, steady, drain });
      } finally {
        await rig.close();
      }
    }
    const [base, grown] = results;
    const p99 = (m: Measured) =>
      percentile(
        [...m.latencies].sort((a, b) => a - b),
        99,
      );
    const rows = results.flatMap(({ label, steady, drain }) => [
      { outbox: label, ...row("relay", RATE, steady), "vs empty": ratio(p99(steady), p99(base!.steady)) },
      {
        outbox: label,
        ...row("relay (backlog drain)", "max", drain),
        "vs empty": ratio(base!.drain.seconds, drain.seconds),
      },
    ]);
    return {
      rows,
      notes: [
        `"vs empty": for the ${RATE} ev/s rows the commit→ack p99 relative to the empty outbox's (above 1 is slower); for drains the throughput relative to it (below 1 is slower)`,
        grown
          ? `the history (${HISTORY_ROWS} rows, one parked so that no partition is dropped) lies behind every bucket's cursor`
          : "",
      ].filter(Boolean),
    };
  },
} satisfies Benchmark;
