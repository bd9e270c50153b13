import { notify } from "../retry.js";
import type { RelayContext } from "./context.js";
import type { RelaySession } from "./session.js";

/**
 * How often moved cursors are saved, after publishing and over empty stretches. Each save spends a
 * transaction id; a crash republishes at most this much (consumers dedupe), and buckets are saved
 * before they change hands, so a handover republishes nothing.
 */
const SAVE_INTERVAL_MS = { published: 200, idle: 1_000 };

/** Moves every owned cursor behind `through` up to it, and saves them when they are due. */
export async function saveProgress(s: RelaySession, through: bigint, published: boolean): Promise<void> {
  const behind = [...s.owned].filter(([, cursor]) => cursor < through).map(([bucket]) => bucket);
  for (const bucket of behind) s.owned.set(bucket, through);
  if (published) s.unsaved = "published";
  else if (behind.length > 0 && s.unsaved === "none") s.unsaved = "idle";
  if (s.unsaved === "none" || Date.now() - s.savedAt < SAVE_INTERVAL_MS[s.unsaved]) return;
  await flushProgress(s);
}

/** Saves the owned buckets' cursors now, if they moved (a saved cursor never goes back). */
export async function flushProgress(s: RelaySession): Promise<void> {
  if (s.unsaved === "none") return;
  const buckets = [...s.owned.keys()];
  await s.client.query(
    `UPDATE ${s.tables.state} t SET published_through = c.through, updated_at = now()
       FROM unnest($1::smallint[], $2::bigint[]) AS c(bucket, through)
      WHERE t.bucket = c.bucket AND t.published_through < c.through`,
    [buckets, buckets.map((bucket) => s.owned.get(bucket)!.toString())],
  );
  s.unsaved = "none";
  s.savedAt = Date.now();
}

/**
 * Ids handed out again may lie below saved cursors; nothing says which, so the buckets publish
 * again all the outbox still holds (consumers dedupe the republished rows).
 */
export async function rewind(
  ctx: RelayContext,
  s: RelaySession,
  buckets: readonly number[],
  issued: bigint,
): Promise<void> {
  s.prefetched = undefined;
  await s.client.query(
    `UPDATE ${s.tables.state} SET published_through = 0, updated_at = now() WHERE bucket = ANY($1::smallint[])`,
    [buckets],
  );
  for (const bucket of buckets) s.owned.set(bucket, 0n);
  notify(ctx.hooks.rewound, { buckets: [...buckets].sort((a, b) => a - b), issued: issued.toString() });
}
