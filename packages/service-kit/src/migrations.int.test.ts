import { testInfra, uniqueName } from "@herald/dev-stack/testing";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ServiceKitError } from "./errors.js";
import { type Migration, runMigrations } from "./migrations.js";

const databaseUrl = testInfra().databaseUrls.order;
let schema: string;
const pools: pg.Pool[] = [];

function schemaPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, options: `-c search_path=${schema}`, max: 2 });
  pools.push(pool);
  return pool;
}

beforeEach(async () => {
  schema = uniqueName("kit");
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

const migrations: Migration[] = [
  { id: "001-things", sql: "CREATE TABLE things (id int PRIMARY KEY)" },
  { id: "002-log", sql: "CREATE TABLE log (line text); INSERT INTO log VALUES ('002 ran')" },
];

describe("runMigrations", () => {
  it("applies pending migrations in order, once, in the connection's schema", async () => {
    const pool = schemaPool();
    expect(await runMigrations(pool, migrations)).toEqual(["001-things", "002-log"]);
    expect(await runMigrations(pool, migrations)).toEqual([]);
    const more = [...migrations, { id: "003-more", sql: "ALTER TABLE things ADD COLUMN name text" }];
    expect(await runMigrations(pool, more)).toEqual(["003-more"]);
    const { rows } = await pool.query("SELECT id FROM schema_migrations ORDER BY applied_at, id");
    expect(rows.map((row) => row.id)).toEqual(["001-things", "002-log", "003-more"]);
    const where = await pool.query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'things'",
    );
    expect(where.rows.map((row) => row.table_schema)).toContain(schema);
  });

  it("lets replicas starting together apply each migration exactly once", async () => {
    const results = await Promise.all([1, 2, 3].map(() => runMigrations(schemaPool(), migrations)));
    expect(results.flat().sort()).toEqual(["001-things", "002-log"]);
    const { rows } = await schemaPool().query("SELECT count(*)::int AS n FROM log");
    expect(rows[0].n).toBe(1);
  });

  it("rolls a failing migration back entirely and keeps the ones before it", async () => {
    const pool = schemaPool();
    const failing = [
      ...migrations,
      { id: "003-broken", sql: "CREATE TABLE half (id int); SELECT * FROM no_such_table" },
    ];
    const error = await runMigrations(pool, failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceKitError);
    expect(error).toMatchObject({ code: "SERVICE_MIGRATION_FAILED" });
    expect((error as Error).message).toMatch(/003-broken failed: relation "no_such_table" does not exist/);
    const { rows } = await pool.query("SELECT id FROM schema_migrations ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(["001-things", "002-log"]);
    const half = await pool.query("SELECT to_regclass('half') AS half");
    expect(half.rows[0].half).toBeNull();
  });

  it("refuses a migration whose SQL changed after it was applied, and duplicate ids", async () => {
    const pool = schemaPool();
    await runMigrations(pool, migrations);
    const edited = [{ id: "001-things", sql: "CREATE TABLE things (id bigint PRIMARY KEY)" }];
    await expect(runMigrations(pool, edited)).rejects.toMatchObject({ code: "SERVICE_MIGRATION_CHANGED" });
    await expect(runMigrations(pool, [migrations[0]!, migrations[0]!])).rejects.toMatchObject({
      code: "SERVICE_MIGRATION_DUPLICATE_ID",
    });
  });
});
