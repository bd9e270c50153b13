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
 * One pass of upkeep: finishes detaches a crash interrupted, creates partitions ahead of use and
 * drops published ones. Attaching and detaching concurrently take only SHARE UPDATE EXCLUSIVE on
 * the outbox, so writers never wait on this. Returns what it did.
 */
export async function maintainPartitions(
  client: pg.ClientBase,
  tables: OutboxTables,
  options: { size: number; ahead: number },
): Promise<{ created: number; dropped: number }> {
  const { rows: pending } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::oid AND i.inhdetachpending`,
    [tables.oid],
  );
  for (const { name } of pending) {
    const partition = `${pg.escapeIdentifier(tables.schema)}.${pg.escapeIdentifier(name)}`;
    await client.query(`ALTER TABLE ${tables.outbox} DETACH PARTITION ${partition} FINALIZE`);
    await client.query(`DROP TABLE IF EXISTS ${partition}`);
  }
  const { rows } = await client.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::oid AND NOT i.inhdetachpending`,
    [tables.oid],
  );
  const partitions = rows.flatMap((row) => parsePartitionBound(row.name, row.bound) ?? []);
  const { rows: marks } = await client.query<{ issued: string; published: string }>(
    `SELECT (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${tables.sequence})::text AS issued,
            (SELECT min(published_through) FROM ${tables.state})::text AS published`,
  );
  const plan = planPartitions({
    partitions,
    issued: BigInt(marks[0]?.issued ?? "0"),
    publishedThroughEverywhere: BigInt(marks[0]?.published ?? "0"),
    size: BigInt(options.size),
    ahead: options.ahead,
  });
  for (const { from, to } of plan.create) {
    const partition = `${pg.escapeIdentifier(tables.schema)}.${pg.escapeIdentifier(`outbox_p${from}`)}`;
    await client.query("BEGIN");
    try {
      await client.query("SET LOCAL lock_timeout = '5s'");
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
  for (const name of plan.drop) {
    const partition = `${pg.escapeIdentifier(tables.schema)}.${pg.escapeIdentifier(name)}`;
    await client.query(`ALTER TABLE ${tables.outbox} DETACH PARTITION ${partition} CONCURRENTLY`);
    await client.query(`DROP TABLE IF EXISTS ${partition}`);
  }
  return { created: plan.create.length, dropped: plan.drop.length };
}

/** Rows no relay has had acknowledged yet, over all buckets. */
export async function countBacklog(client: pg.ClientBase, tables: OutboxTables): Promise<number> {
  const { rows } = await client.query<{ backlog: number }>(
    `SELECT count(*)::int AS backlog FROM ${tables.state} s
       JOIN ${tables.outbox} o ON o.bucket = s.bucket AND o.id > s.published_through`,
  );
  return rows[0]?.backlog ?? 0;
}
