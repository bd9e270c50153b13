import { testInfra, uniqueName } from "@herald/dev-stack/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceKitError } from "./errors.js";
import { withTransaction } from "./postgres.js";

const databaseUrl = testInfra().databaseUrls.order;
const schema = uniqueName("kit_tx");
let pool: pg.Pool;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.claims (id text PRIMARY KEY)`);
  await admin.end();
  pool = new pg.Pool({ connectionString: databaseUrl, options: `-c search_path=${schema}`, max: 2 });
});

afterAll(async () => {
  await pool.end();
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

async function claims(): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM claims ORDER BY id");
  return rows.map((row) => row.id);
}

describe("withTransaction", () => {
  it("commits what the work wrote", async () => {
    await expect(
      withTransaction(pool, (tx) => tx.query("INSERT INTO claims VALUES ('a')")),
    ).resolves.toBeDefined();
    expect(await claims()).toEqual(["a"]);
  });

  it("fails when Postgres answers COMMIT with ROLLBACK because the work swallowed an error", async () => {
    const swallowed = withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO claims VALUES ('b')");
      // The "ignore a unique violation" idiom without a savepoint: the transaction is aborted.
      await tx.query("INSERT INTO claims VALUES ('a')").catch(() => {});
      return "done";
    });

    await expect(swallowed).rejects.toMatchObject({
      name: "ServiceKitError",
      code: "SERVICE_TRANSACTION_ROLLED_BACK",
    });
    await expect(swallowed).rejects.toBeInstanceOf(ServiceKitError);
    expect(await claims()).toEqual(["a"]);
    // The connection went back to the pool usable.
    await withTransaction(pool, (tx) => tx.query("INSERT INTO claims VALUES ('c')"));
    expect(await claims()).toEqual(["a", "c"]);
  });

  it("fails, without ending the process, when Postgres terminates its connection mid-transaction", async () => {
    // What a Postgres restart or failover does to every open session: FATAL 57P01, then the socket
    // closes. A checked-out client has none of the pool's error listeners; unhandled, its 'error'
    // event is an uncaught exception that ends the whole service process.
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO claims VALUES ('d')");
      await tx.query("SELECT pg_terminate_backend(pg_backend_pid())");
    });
    await expect(outcome).rejects.toMatchObject({ code: "57P01" });
    expect(await claims()).toEqual(["a", "c"]);
    await withTransaction(pool, (tx) => tx.query("INSERT INTO claims VALUES ('e')"));
    expect(await claims()).toEqual(["a", "c", "e"]);
  });

  it("runs read-only at the isolation level asked for: one snapshot for several reads, no writes", async () => {
    const seen = await withTransaction(
      pool,
      async (tx) => {
        const before = await tx.query("SELECT count(*)::int AS n FROM claims");
        await pool.query("INSERT INTO claims VALUES ('f')"); // another session, committed meanwhile
        const after = await tx.query("SELECT count(*)::int AS n FROM claims");
        const { rows } = await tx.query("SHOW transaction_isolation");
        return { before: before.rows[0].n, after: after.rows[0].n, isolation: rows[0].transaction_isolation };
      },
      { isolation: "repeatable read", readOnly: true },
    );
    expect(seen).toEqual({ before: 3, after: 3, isolation: "repeatable read" });
    await expect(
      withTransaction(pool, (tx) => tx.query("INSERT INTO claims VALUES ('g')"), { readOnly: true }),
    ).rejects.toMatchObject({ code: "25006" });
  });
});
