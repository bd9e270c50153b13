import { notify } from "../retry.js";
import type { RelayContext } from "./context.js";
import { flushProgress } from "./progress.js";
import type { RelaySession } from "./session.js";

/**
 * Shares the buckets evenly among the live relays (each holds a membership lock; the others count
 * them): gives up the surplus after saving its cursors, and takes free buckets from their saved
 * cursors. A bucket is owned through a session advisory lock, so one relay publishes it at a time.
 */
export async function rebalance(ctx: RelayContext, s: RelaySession): Promise<void> {
  const { rows } = await s.client.query<{ live: number }>(
    `SELECT count(*)::int AS live FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::bigint::oid
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [s.locks.members],
  );
  const live = Math.max(1, rows[0]?.live ?? 1);
  const target = Math.ceil(s.buckets.length / live);
  const before = s.owned.size;
  if (s.owned.size > target) await release(s, target);
  else if (s.owned.size < target) await acquire(s, target);
  if (s.owned.size !== before) {
    ctx.metrics.ownedBuckets.inc(s.owned.size - before);
    notify(
      ctx.hooks.bucketsChanged,
      [...s.owned.keys()].sort((a, b) => a - b),
    );
  }
}

async function release(s: RelaySession, target: number): Promise<void> {
  // The next owner starts from the saved cursors.
  await flushProgress(s);
  const surplus = [...s.owned.keys()].sort((a, b) => b - a).slice(0, s.owned.size - target);
  for (const bucket of surplus) {
    await s.client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [s.locks.buckets, bucket]);
    s.owned.delete(bucket);
  }
}

async function acquire(s: RelaySession, target: number): Promise<void> {
  // Start at a different bucket per relay so concurrent starters do not contend for the same ones.
  const offset = Math.floor(Math.random() * s.buckets.length);
  const candidates = [...s.buckets.slice(offset), ...s.buckets.slice(0, offset)].filter(
    (b) => !s.owned.has(b),
  );
  for (const bucket of candidates) {
    if (s.owned.size >= target) break;
    const { rows: got } = await s.client.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock($1::int, $2::int) AS ok",
      [s.locks.buckets, bucket],
    );
    if (!got[0]?.ok) continue;
    const { rows: state } = await s.client.query<{ through: string }>(
      `SELECT published_through::text AS through FROM ${s.tables.state} WHERE bucket = $1`,
      [bucket],
    );
    s.owned.set(bucket, BigInt(state[0]?.through ?? "0"));
  }
}
