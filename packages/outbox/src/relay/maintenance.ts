import { OutboxError } from "../errors.js";
import { countBacklog, maintainPartitions, resolveOutboxTables } from "../partitions.js";
import { notify } from "../retry.js";
import type { RelayContext } from "./context.js";

/** After dropping partitions gave up on a lock (a transaction keeps the outbox open), it rests this many passes. */
const DROP_RETRY_PASSES = 6;

/**
 * Partition upkeep and the backlog gauge, on a connection of its own. One relay at a time maintains
 * (an advisory lock); any relay measures the backlog.
 */
export class Maintenance {
  private dropRetryAt = 0;

  constructor(private readonly ctx: RelayContext) {}

  async pass(signal: AbortSignal): Promise<void> {
    const { pool, metrics, hooks, settings } = this.ctx;
    const client = await pool.connect();
    const onError = () => {};
    client.on("error", onError);
    // Stopping must not wait for a detach that waits for someone's long transaction.
    const abandon = () => client.release(new Error("relay stopping"));
    let released = false;
    const onAbort = () => {
      setTimeout(() => {
        if (!released) {
          released = true;
          abandon();
        }
      }, 5_000).unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const tables = await resolveOutboxTables(client);
      if (!tables) return;
      const backlog = await countBacklog(client, tables);
      metrics.backlog.set(backlog);
      const { rows } = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext($1 || ':maintenance') & 2147483647, 0) AS ok",
        [tables.outbox],
      );
      if (!rows[0]?.ok) return;
      try {
        const result = await maintainPartitions(client, tables, {
          size: settings.partitionSize,
          ahead: settings.partitionsAhead,
          drop: Date.now() >= this.dropRetryAt,
        });
        if (result.blocked) {
          const restMs = DROP_RETRY_PASSES * settings.maintenanceIntervalMs;
          this.dropRetryAt = Date.now() + restMs;
          notify(
            hooks.error,
            new OutboxError(
              "OUTBOX_MAINTENANCE_FAILED",
              `dropping published partitions waits for a transaction that has the outbox open; trying again in ${restMs / 1000} s: ${result.blocked.message}`,
              { cause: result.blocked },
            ),
          );
        }
        const { created, dropped } = result;
        if (created > 0 || dropped > 0) notify(hooks.maintained, { created, dropped, backlog });
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1 || ':maintenance') & 2147483647, 0)", [
          tables.outbox,
        ]);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      client.off("error", onError);
      if (!released) {
        released = true;
        client.release();
      }
    }
  }
}
