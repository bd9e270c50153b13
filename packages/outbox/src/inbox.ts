import type pg from "pg";

/** How long a consumer group remembers handled event ids, by default: the topics' 7-day retention. */
export const DEFAULT_INBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const PURGE_BATCH = 5_000;

/**
 * Forgets the event ids `groupId` handled longer than `olderThanMs` ago, in small batches so no
 * long transaction holds back the relay's watermark. Safe once the events can no longer be
 * redelivered, i.e. with a retention at least as long as the topics keep their messages.
 * Returns how many ids were forgotten.
 */
export async function purgeInbox(
  pool: pg.Pool,
  options: { groupId: string; olderThanMs: number },
): Promise<number> {
  let purged = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM inbox WHERE consumer_group = $1 AND event_id IN (
         SELECT event_id FROM inbox
          WHERE consumer_group = $1 AND processed_at < now() - make_interval(secs => $2 / 1000.0)
          LIMIT ${PURGE_BATCH})`,
      [options.groupId, options.olderThanMs],
    );
    purged += rowCount ?? 0;
    if ((rowCount ?? 0) < PURGE_BATCH) return purged;
  }
}
