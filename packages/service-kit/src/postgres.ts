import { OUTBOX_POOL_SETTINGS } from "@herald/outbox";
import pg from "pg";
import type { Logger } from "pino";
import { ServiceKitError } from "./errors.js";

/**
 * Runs `work` in one transaction on one pooled connection: COMMIT if it resolves, ROLLBACK if it throws.
 * A statement that fails aborts the whole transaction even when `work` catches its error; Postgres
 * then answers COMMIT with ROLLBACK, which rejects with SERVICE_TRANSACTION_ROLLED_BACK. To survive
 * an expected failure (e.g. a unique violation), run that statement under a savepoint
 * (`withSavepoint` of `@herald/outbox`). `options` choose a stricter isolation level or a
 * read-only transaction (e.g. one consistent snapshot for several reads).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  options: { isolation?: "repeatable read" | "serializable"; readOnly?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has none of the pool's error listeners: when Postgres ends the session (a
  // restart, a failover) its 'error' event would be an uncaught exception ending the process. The
  // failure reaches `work` through its queries anyway; the connection is discarded on release.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    const isolation = options.isolation ? ` ISOLATION LEVEL ${options.isolation.toUpperCase()}` : "";
    await client.query(`BEGIN${isolation}${options.readOnly ? " READ ONLY" : ""}`);
    const result = await work(client);
    const committed = await client.query("COMMIT");
    if (committed.command === "COMMIT") return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
    client.off("error", onError);
  }
  throw new ServiceKitError(
    "SERVICE_TRANSACTION_ROLLED_BACK",
    "the transaction was rolled back at COMMIT: a statement in it failed and its error was caught",
  );
}

/** A readiness check that the pool can reach its database. */
export function postgresReadiness(pool: pg.Pool): () => Promise<void> {
  return async () => {
    await pool.query("SELECT 1");
  };
}

/**
 * A pool on the service's database (`role` names it in pg_stat_activity: the routes' pool is the
 * service's name, the consumer's its name and "-consumer").
 */
export function openPool(databaseUrl: string, max: number, role: string, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: `herald-${role}`,
    // Bounded waits, and a transaction left open by a stuck client is ended by Postgres, so it
    // cannot hold the outbox lock that the relays' watermark waits on.
    ...OUTBOX_POOL_SETTINGS,
  });
  pool.on("error", (error) => logger.warn({ err: error }, "idle Postgres connection failed"));
  // A connection the database ends while it is checked out (a restart, a terminated backend) emits
  // 'error' on its client; without a listener that would end the process. Its query fails anyway,
  // and the pool discards the client when it is released.
  pool.on("connect", (client) =>
    client.on("error", (error) => logger.debug({ err: error }, "Postgres connection ended while in use")),
  );
  return pool;
}
