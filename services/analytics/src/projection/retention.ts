import type pg from "pg";

/**
 * Deletes the facts (every generation's) that occurred more than `retentionDays` ago, in batches
 * of `batchSize` so no statement holds many locks; returns how many it deleted. The figures stay:
 * they were summed when each fact arrived. What goes is the per-order timeline of those facts.
 */
export async function purgeExpiredFacts(
  pool: pg.Pool,
  options: { retentionDays: number; batchSize?: number },
): Promise<number> {
  const batchSize = options.batchSize ?? 5_000;
  let purged = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM analytics_facts
        WHERE (generation, event_id) IN (
          SELECT generation, event_id FROM analytics_facts
           WHERE occurred_at < now() - $1::int * interval '1 day'
           LIMIT $2)`,
      [options.retentionDays, batchSize],
    );
    purged += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return purged;
  }
}

/** Purges now and then every `everyMs`; returns the stop function. */
export function startFactRetention(
  pool: pg.Pool,
  options: {
    retentionDays: number;
    everyMs?: number;
    onPurged?: (facts: number) => void;
    onError?: (error: unknown) => void;
  },
): () => void {
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    purgeExpiredFacts(pool, options)
      .then((facts) => facts > 0 && options.onPurged?.(facts), options.onError)
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(sweep, options.everyMs ?? 60 * 60 * 1000);
  timer.unref();
  sweep();
  return () => clearInterval(timer);
}
