import type pg from "pg";
import type { OpenPark } from "../parking.js";
import { type OutboxTables, resolveOutboxTables } from "../partitions.js";
import { notify } from "../retry.js";
import { IdleState, listenOn, type Wakeup } from "../wakeup.js";
import { PublicationWatermark } from "../watermark.js";
import { databaseError, type RelayContext } from "./context.js";
import type { PendingRead } from "./rows.js";

/** The channel the outbox's insert trigger notifies, with the outbox's schema as the payload. */
export const OUTBOX_CHANNEL = "herald_outbox";

/** Advisory lock classes of one outbox (the second key is a bucket, a member, or 0). */
export interface RelayLocks {
  readonly buckets: number;
  readonly members: number;
  readonly maintenance: number;
}

/**
 * One database session of the relay and everything that holds only as long as it does: the advisory
 * locks of its buckets and membership (they end with the connection), the cursors of the buckets it
 * owns, the parks it knows, its watermark and the batch it reads ahead.
 */
export class RelaySession {
  /** Settled ids as seen through this session: a reconnect (maybe to a promoted replica) starts over. */
  readonly watermark = new PublicationWatermark();
  /** Open parks in the owned buckets, by aggregate key. */
  readonly parked = new Map<string, OpenPark>();
  /** Owned bucket → every row of it up to this id is published. */
  readonly owned = new Map<number, bigint>();
  /** Set by the connection's error event: the next cycle gives the session up. */
  broken?: Error;
  savedAt = 0;
  /** When the watermark was last probed (Date.now()). */
  probedAt = 0;
  /** Cursors moved in memory since they were last saved; `published` if rows went out meanwhile. */
  unsaved: "none" | "idle" | "published" = "none";
  /** The next batch, read while the current one is sent. */
  prefetched: PendingRead | undefined;
  /** Whether this session is registered as idle, so writers notify it (see `wakeup.ts`). */
  readonly idle = new IdleState();

  private constructor(
    readonly client: pg.PoolClient,
    readonly tables: OutboxTables,
    readonly locks: RelayLocks,
    /** Oid of the database, for reading `pg_locks`. */
    readonly database: number,
    /** Every bucket of the outbox. */
    readonly buckets: readonly number[],
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Connects, finds the outbox on the search_path, listens for its notifications (they wake
   * `wakeup`; the subscription ends with the connection) and joins the relays as a member.
   */
  static async open(pool: pg.Pool, wakeup: Wakeup): Promise<RelaySession> {
    const client = await pool.connect().catch((error: unknown) => {
      throw databaseError("could not connect", error);
    });
    let session: RelaySession | undefined;
    const onError = (error: Error) => {
      if (session) session.broken = error;
    };
    client.on("error", onError);
    try {
      // Losing a progress update in a database crash only republishes (consumers dedupe), so the
      // relay's own commits need not wait for the WAL flush.
      await client.query("SET application_name = 'herald-outbox-relay'; SET synchronous_commit = off");
      const tables = await resolveOutboxTables(client);
      if (!tables) throw new Error("no outbox table on the search_path: run outboxMigrations first");
      await listenOn(client, OUTBOX_CHANNEL, tables.schema, wakeup);
      const { rows } = await client.query<RelayLocks & { database: number }>(
        `SELECT hashtext($1 || ':buckets') & 2147483647 AS buckets,
                hashtext($1 || ':members') & 2147483647 AS members,
                hashtext($1 || ':maintenance') & 2147483647 AS maintenance,
                (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS database`,
        [tables.outbox],
      );
      const { database, ...locks } = rows[0]!;
      // Membership: live relays are counted by this lock, so each knows its fair share of buckets.
      for (;;) {
        const member = Math.floor(Math.random() * 2 ** 31);
        const { rows: got } = await client.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock($1::int, $2::int) AS ok",
          [locks.members, member],
        );
        if (got[0]?.ok) break;
      }
      const { rows: buckets } = await client.query<{ bucket: number }>(
        `SELECT bucket FROM ${tables.state} ORDER BY bucket`,
      );
      session = new RelaySession(
        client,
        tables,
        locks,
        database,
        buckets.map((row) => row.bucket),
        onError,
      );
      return session;
    } catch (error) {
      client.off("error", onError);
      client.release(true);
      throw databaseError("could not open a relay session", error);
    }
  }

  /** Ending the connection releases every advisory lock it holds. */
  close(ctx: RelayContext, reason?: Error): void {
    this.prefetched = undefined;
    ctx.metrics.ownedBuckets.dec(this.owned.size);
    ctx.metrics.parkedAggregates.dec(this.parked.size);
    if (this.owned.size > 0) notify(ctx.hooks.bucketsChanged, []);
    this.client.off("error", this.onError);
    this.client.release(reason ?? true);
  }
}
