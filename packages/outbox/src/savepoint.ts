import type pg from "pg";

/**
 * Runs `work` under a savepoint of the caller's transaction. If `work` throws, only its own
 * statements are rolled back and the error is rethrown; the transaction stays usable, so the
 * caller may catch an expected failure (e.g. a unique violation, `23505`) and go on. Without a
 * savepoint a failed statement aborts the whole transaction, and its COMMIT becomes a ROLLBACK.
 */
export async function withSavepoint<T>(tx: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  // One name for every level: ROLLBACK TO and RELEASE act on the most recent savepoint of that name.
  await tx.query("SAVEPOINT herald_savepoint");
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT herald_savepoint");
    await tx.query("RELEASE SAVEPOINT herald_savepoint");
    throw error;
  }
  await tx.query("RELEASE SAVEPOINT herald_savepoint");
  return result;
}
