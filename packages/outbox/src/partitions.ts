import pg from "pg";

export interface PartitionRange {
  readonly name: string;
  /** Inclusive lower id bound; null for MINVALUE. */
  readonly from: bigint | null;
  /** Exclusive upper id bound; null for MAXVALUE. */
  readonly to: bigint | null;
}

export interface PartitionPlan {
  readonly create: readonly { from: bigint; to: bigint }[];
  readonly drop: readonly string[];
}

/** Reads `FOR VALUES FROM ('1') TO ('100001')` as printed by `pg_get_expr(relpartbound, oid)`. */
export function parsePartitionBound(name: string, bound: string): PartitionRange | undefined {
  const match = /FROM \((MINVALUE|'?(-?\d+)'?)\) TO \((MAXVALUE|'?(-?\d+)'?)\)/.exec(bound);
  if (!match) return undefined;
  return {
    name,
    from: match[2] === undefined ? null : BigInt(match[2]),
    to: match[4] === undefined ? null : BigInt(match[4]),
  };
}

/**
 * Keeps `ahead` partitions' worth of ids beyond the highest id handed out, so inserts always find a
 * partition, and drops every partition whose ids are all published in every bucket.
 */
export function planPartitions(input: {
  partitions: readonly PartitionRange[];
  issued: bigint;
  publishedThroughEverywhere: bigint;
  size: bigint;
  ahead: number;
}): PartitionPlan {
  const { partitions, issued, publishedThroughEverywhere, size, ahead } = input;
  const create: { from: bigint; to: bigint }[] = [];
  if (!partitions.some((p) => p.to === null)) {
    let top = partitions.reduce<bigint>((max, p) => (p.to !== null && p.to > max ? p.to : max), issued + 1n);
    while (top <= issued + BigInt(ahead) * size) {
      create.push({ from: top, to: top + size });
      top += size;
    }
  }
  const drop = partitions
    .filter((p) => p.to !== null && p.to - 1n <= publishedThroughEverywhere)
    .map((p) => p.name);
  return { create, drop };
}

export interface OutboxTables {
  /** Schema-qualified, quoted names. */
  readonly outbox: string;
  readonly state: string;
  readonly sequence: string;
  readonly schema: string;
  readonly oid: number;
}

/** Finds the outbox the connection's search_path names; undefined until the migrations ran. */
export async function resolveOutboxTables(client: pg.ClientBase): Promise<OutboxTables | undefined> {
  const { rows } = await client.query<{ schema: string; oid: number }>(
    `SELECT n.nspname AS schema, c.oid::int AS oid
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass('outbox')`,
  );
  const row = rows[0];
  if (!row) return undefined;
  const schema = pg.escapeIdentifier(row.schema);
  return {
    schema: row.schema,
    oid: row.oid,
    outbox: `${schema}.outbox`,
    state: `${schema}.outbox_relay_state`,
    sequence: `${schema}.outbox_id_seq`,
  };
}

/**
 * How long a maintenance step may wait for a lock before it gives up until a later pass. Creating
 * waits only for other DDL; detaching waits for every transaction that has the outbox open while
 * holding a lock that creation needs, so it is cut short: business transactions last milliseconds.
 */
const LOCK_TIMEOUT = { create: "2s", drop: "500ms" };

/** SQLSTATE of a lock timeout. */
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * One pass of upkeep: creates partitions ahead of use, then finishes detaches a crash or a timeout
 * interrupted and drops published partitions. Creation comes first and never waits on dropping:
 * attaching takes only SHARE UPDATE EXCLUSIVE on the outbox (writers never wait) and does not
 * conflict with readers, while `DETACH … CONCURRENTLY` waits for every transaction that has the
 * outbox open (an idle `pg_dump` is enough); every step gives up after a lock timeout and the next
 * pass tries again. (A DEFAULT partition would catch inserts even without a relay, but Postgres
 * forbids detaching concurrently from a table that has one.) Returns what it did; `blocked` when
 * dropping gave up on a lock (the caller should leave dropping alone for a while).
 */
export async function maintainPartitions(
  client: pg.ClientBase,
  tables: OutboxTables,
  options: { size: number; ahead: number; drop?: boolean },
): Promise<{ created: number; dropped: number; blocked?: Error }> {
  const { rows } = await client.query<{ name: string; bound: string; pending: boolean }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, i.inhdetachpending AS pending
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::oid`,
    [tables.oid],
  );
  const partitions = rows
    .filter((row) => !row.pending)
    .flatMap((row) => parsePartitionBound(row.name, row.bound) ?? []);
  const { rows: marks } = await client.query<{ issued: string; published: string }>(
    `SELECT (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${tables.sequence})::text AS issued,
            least((SELECT min(published_through) FROM ${tables.state}),
                  (SELECT min(outbox_id) - 1 FROM ${pg.escapeIdentifier(tables.schema)}.outbox_parked
                    WHERE resolved_at IS NULL))::text AS published`,
  );
  const plan = planPartitions({
    partitions,
    issued: BigInt(marks[0]?.issued ?? "0"),
    publishedThroughEverywhere: BigInt(marks[0]?.published ?? "0"),
    size: BigInt(options.size),
    ahead: options.ahead,
  });
  const qualified = (name: string) => `${pg.escapeIdentifier(tables.schema)}.${pg.escapeIdentifier(name)}`;
  for (const { from, to } of plan.create) {
    const partition = qualified(`outbox_p${from}`);
    await client.query("BEGIN");
    try {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT.create}'`);
      await client.query(
        `CREATE TABLE ${partition} (LIKE ${tables.outbox} INCLUDING DEFAULTS INCLUDING GENERATED)`,
      );
      await client.query(
        `ALTER TABLE ${tables.outbox} ATTACH PARTITION ${partition} FOR VALUES FROM (${from}) TO (${to})`,
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  }
  if (options.drop === false) return { created: plan.create.length, dropped: 0 };
  let dropped = 0;
  // DETACH … CONCURRENTLY cannot run in a transaction block, so the timeout is set for the session.
  await client.query(`SET lock_timeout = '${LOCK_TIMEOUT.drop}'`);
  try {
    // Only one partition of a table may be pending detach: finish it before starting another.
    for (const { name } of rows.filter((row) => row.pending)) {
      await client.query(`ALTER TABLE ${tables.outbox} DETACH PARTITION ${qualified(name)} FINALIZE`);
      await client.query(`DROP TABLE IF EXISTS ${qualified(name)}`);
    }
    for (const name of plan.drop) {
      await client.query(`ALTER TABLE ${tables.outbox} DETACH PARTITION ${qualified(name)} CONCURRENTLY`);
      await client.query(`DROP TABLE IF EXISTS ${qualified(name)}`);
      dropped += 1;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    return { created: plan.create.length, dropped, blocked: error as Error };
  } finally {
    await client.query("RESET lock_timeout");
  }
  return { created: plan.create.length, dropped };
}

/**
 * Rows no relay has had acknowledged yet, over all buckets, estimated from the id sequence and the
 * cursors (ids of rolled-back transactions count too), so it costs the same whatever the backlog.
 */
export async function countBacklog(client: pg.ClientBase, tables: OutboxTables): Promise<number> {
  const { rows } = await client.query<{ backlog: string }>(
    `SELECT greatest(0, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${tables.sequence})
                        - (SELECT min(published_through) FROM ${tables.state}))::text AS backlog`,
  );
  return Number(rows[0]?.backlog ?? "0");
}
