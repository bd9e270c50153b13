import { createHash } from "node:crypto";
import pg from "pg";
import { ServiceKitError } from "./errors.js";

/** One schema change. Ids are applied once each, in list order; a shipped migration never changes. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/**
 * Applies the migrations not yet recorded in `table` (in the connection's current schema), each
 * in its own transaction with its record. Holds an advisory lock meanwhile, so replicas starting
 * together apply each migration once. Returns the ids it applied. A recorded migration whose SQL
 * changed since is an error (SERVICE_MIGRATION_CHANGED): fix forward with a new migration.
 */
export async function runMigrations(
  pool: pg.Pool,
  migrations: readonly Migration[],
  options: { table?: string } = {},
): Promise<string[]> {
  const table = options.table ?? "schema_migrations";
  const seen = new Set<string>();
  for (const { id } of migrations) {
    if (seen.has(id))
      throw new ServiceKitError("SERVICE_MIGRATION_DUPLICATE_ID", `migration id ${id} is listed twice`);
    seen.add(id);
  }
  const name = pg.escapeIdentifier(table);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(hashtext(current_schema() || '.' || $1::text))", [table]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${name} (
           id text PRIMARY KEY,
           checksum text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ id: string; checksum: string }>(
        `SELECT id, checksum FROM ${name}`,
      );
      const applied = new Map(rows.map((row) => [row.id, row.checksum]));
      const ran: string[] = [];
      for (const migration of migrations) {
        const checksum = createHash("sha256").update(migration.sql).digest("hex");
        const recorded = applied.get(migration.id);
        if (recorded !== undefined) {
          if (recorded !== checksum)
            throw new ServiceKitError(
              "SERVICE_MIGRATION_CHANGED",
              `migration ${migration.id} was applied with different SQL; add a new migration instead of editing it`,
            );
          continue;
        }
        try {
          await client.query("BEGIN");
          await client.query(migration.sql);
          await client.query(`INSERT INTO ${name} (id, checksum) VALUES ($1, $2)`, [migration.id, checksum]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw new ServiceKitError(
            "SERVICE_MIGRATION_FAILED",
            `migration ${migration.id} failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
        ran.push(migration.id);
      }
      return ran;
    } finally {
      await client
        .query("SELECT pg_advisory_unlock(hashtext(current_schema() || '.' || $1::text))", [table])
        .catch(() => {
          broken = true;
        });
    }
  } finally {
    client.release(broken);
  }
}
