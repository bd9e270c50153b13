import type pg from "pg";

/** Runs `work` in one transaction on one pooled connection: COMMIT if it resolves, ROLLBACK if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A readiness check that the pool can reach its database. */
export function postgresReadiness(pool: pg.Pool): () => Promise<void> {
  return async () => {
    await pool.query("SELECT 1");
  };
}
