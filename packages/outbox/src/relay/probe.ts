import type { Writer } from "../watermark.js";
import type { RelayContext } from "./context.js";
import { rewind } from "./progress.js";
import type { RelaySession } from "./session.js";

/**
 * Reads the id sequence and, in the same statement, the outbox's writers, and moves the session's
 * watermark. A sequence that went back (or a cursor beyond the newest id) rewinds the owned buckets.
 */
export async function probe(ctx: RelayContext, s: RelaySession): Promise<void> {
  const request = s.watermark.writersRequest();
  const sentAt = Date.now();
  s.probedAt = sentAt;
  const { rows } = await s.client.query<{ issued: string; writers: string[] | null; now_ms: number }>(
    // The writers are read in the projection, a subquery correlated with the sequence row, so
    // after the sequence was read: see PublicationWatermark for why that never skips a row. No
    // transaction id is spent, and only transactions that write the outbox are waited for.
    `SELECT (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)::text AS issued,
            CASE WHEN $1::boolean
                   OR ($2::boolean AND (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END) > $3::bigint)
                 THEN ARRAY(
                   WITH l AS MATERIALIZED (
                     SELECT locktype, mode, database, relation, virtualtransaction, transactionid
                       FROM pg_locks WHERE s.last_value IS NOT NULL)
                   SELECT DISTINCT r.virtualtransaction || coalesce(' ' || t.transactionid::text, '')
                     FROM l r LEFT JOIN l t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
                    WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock' AND r.database = $4::oid
                      AND r.relation IN (SELECT relid FROM pg_partition_tree($5::oid::regclass)))
            END AS writers,
            extract(epoch FROM clock_timestamp()) * 1000 AS now_ms
       FROM ${s.tables.sequence} s`,
    [request.waiting, request.room, request.after.toString(), s.database, s.tables.oid],
  );
  const row = rows[0]!;
  ctx.clockOffsetMs = Number(row.now_ms) - (sentAt + Date.now()) / 2;
  const issued = BigInt(row.issued);
  const observed = s.watermark.observe({
    issued,
    writers: row.writers === null ? null : writersOf(row.writers),
  });
  const regressed = observed === "regressed" || issued < ctx.highestIssued;
  ctx.highestIssued = issued;
  // A cursor past the highest id handed out proves the sequence went back too (across a restart).
  const behind = regressed
    ? [...s.owned.keys()]
    : [...s.owned].filter(([, cursor]) => cursor > issued).map(([bucket]) => bucket);
  if (behind.length > 0) await rewind(ctx, s, behind, issued);
}

/** Groups "vxid xid" pairs (or a lone vxid) into one writer per virtual transaction. */
function writersOf(pairs: readonly string[]): Writer[] {
  const byVirtual = new Map<string, string[]>();
  for (const pair of pairs) {
    const [virtual, xid] = pair.split(" ") as [string, string | undefined];
    let names = byVirtual.get(virtual);
    if (!names) {
      names = [virtual];
      byVirtual.set(virtual, names);
    }
    if (xid) names.push(xid);
  }
  return [...byVirtual.values()];
}
