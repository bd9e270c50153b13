import pg from "pg";
import type { OutboxError } from "../errors.js";
import { dropGoneListeners, registerIdle, unregisterIdle } from "../wakeup.js";
import { databaseError, type RelayContext } from "./context.js";
import { rebalance } from "./leases.js";
import type { Parks } from "./parks.js";
import { probe } from "./probe.js";
import { flushProgress, saveProgress } from "./progress.js";
import { type PendingRead, sameCursors, startRead } from "./reading.js";
import { OUTBOX_CHANNEL, RelaySession } from "./session.js";

export type CycleResult = "full" | "published" | "waiting" | "idle";

/** While a backlog drains, the watermark is probed at least this often (not before every batch). */
const DRAINING_PROBE_INTERVAL_MS = 100;

/**
 * One publishing step at a time over the current session: opens a session when there is none,
 * rebalances buckets and refreshes parks on schedule, probes the watermark, reads a batch (the next
 * one is read while this one is sent), publishes it and moves the cursors.
 */
export class PublishCycle {
  private session: RelaySession | undefined;
  private nextRebalanceAt = 0;

  constructor(
    private readonly ctx: RelayContext,
    private readonly parks: Parks,
  ) {}

  async run(): Promise<CycleResult> {
    const { settings } = this.ctx;
    if (this.session?.broken) throw databaseError("lost the relay session", this.session.broken);
    if (!this.session) {
      this.session = await RelaySession.open(this.ctx.pool, this.ctx.wakeup);
      this.nextRebalanceAt = 0;
    }
    const s = this.session;
    try {
      if (Date.now() >= this.nextRebalanceAt) {
        await rebalance(this.ctx, s);
        await this.parks.refresh(s);
        // Also the worker's and sender's entries: the relay is the one loop that runs on schedule.
        await dropGoneListeners(s.client, idleListeners(s));
        this.nextRebalanceAt = Date.now() + settings.rebalanceIntervalMs * (0.75 + Math.random() / 2);
      }
      if (s.owned.size === 0) return "idle";
      // While a backlog drains, the batch read ahead lies below the watermark of the last probe
      // (a watermark only rises), so it goes out without probing first: a probe (the sequence and
      // the outbox's writers from pg_locks) took about as long as sending a batch to Kafka.
      const readAhead = s.prefetched !== undefined && sameCursors(s.prefetched.from, s.owned);
      if (!readAhead || Date.now() - s.probedAt >= DRAINING_PROBE_INTERVAL_MS) await probe(this.ctx, s);
    } catch (error) {
      throw databaseError("lost the relay session", error);
    }
    const idle = s.watermark.waiting ? "waiting" : "idle";
    const through = s.watermark.safeThrough;
    let read: PendingRead | undefined;
    if (s.prefetched && sameCursors(s.prefetched.from, s.owned)) read = s.prefetched;
    else read = startRead(s, s.owned, through, settings.batchSize);
    s.prefetched = undefined;
    if (!read) {
      await saveProgress(s, 0n, false).catch((error: unknown) => {
        throw databaseError("could not save relay progress", error);
      });
      return idle;
    }
    const rows = await read.rows;
    const full = rows.length === settings.batchSize;
    // Rows come in id order across the owned buckets, so every owned bucket is done up to the last
    // row, or up to the window's end when the batch is not full.
    const reached = full ? BigInt(rows[rows.length - 1]!.id) : read.upper;
    const more = full || read.upper < through;
    if (more) {
      // The next batch is read while this one is sent; it is used only if nothing moved meanwhile.
      const next = new Map(
        [...s.owned].map(([bucket, cursor]) => [bucket, cursor < reached ? reached : cursor]),
      );
      s.prefetched = startRead(s, next, through, settings.batchSize);
    }
    if (rows.length > 0) await this.parks.publish(s, rows);
    await saveProgress(s, reached, rows.length > 0).catch((error: unknown) => {
      throw databaseError("could not save relay progress", error);
    });
    if (more) return "full";
    return rows.length > 0 ? "published" : idle;
  }

  /**
   * After an idle cycle: registers the session as idle once it has been for a while, so writers
   * start notifying it. True when it just did: rows committed before that notified nobody, so the
   * caller runs a cycle more before it waits.
   */
  async idle(): Promise<boolean> {
    const s = this.session;
    if (s === undefined) return false;
    if (!s.idle.dueToRegister()) return false;
    await registerIdle(s.client, idleListeners(s), OUTBOX_CHANNEL).catch((error: unknown) => {
      throw databaseError("could not register the relay as idle", error);
    });
    s.idle.registered = true;
    return true;
  }

  /** After a cycle that found rows: unregisters, so writers stop notifying a busy relay. */
  async busy(): Promise<void> {
    const s = this.session;
    if (!s?.idle.busy()) return;
    await unregisterIdle(s.client, idleListeners(s), OUTBOX_CHANNEL).catch((error: unknown) => {
      throw databaseError("could not unregister the relay as idle", error);
    });
  }

  /** Whether the session is registered as idle: only then may the relay wait long for a notification. */
  get registeredIdle(): boolean {
    return this.session?.idle.registered ?? false;
  }

  /** How long until the session is due to register as idle. */
  untilIdle(): number {
    return this.session?.idle.untilDue() ?? 0;
  }

  /** How long until the next re-balance is due (an idle relay wakes for it). */
  untilRebalance(): number {
    return Math.max(0, this.nextRebalanceAt - Date.now());
  }

  /** After a failed cycle: the batch read ahead is dropped, and a lost database session closed. */
  failed(failure: OutboxError): void {
    if (this.session) this.session.prefetched = undefined;
    if (failure.code === "OUTBOX_DATABASE_UNAVAILABLE") this.closeSession(failure);
  }

  /** Saves the cursors (they cover only acknowledged rows, even with a send still stuck) and closes. */
  async finish(): Promise<void> {
    const last = this.session;
    if (last && !last.broken) await flushProgress(last).catch(() => {});
    if (last && !last.broken && last.idle.busy())
      await unregisterIdle(last.client, idleListeners(last), OUTBOX_CHANNEL).catch(() => {});
    this.closeSession();
  }

  private closeSession(reason?: Error): void {
    const current = this.session;
    if (!current) return;
    this.session = undefined;
    current.close(this.ctx, reason);
  }
}

function idleListeners(s: RelaySession): string {
  return `${pg.escapeIdentifier(s.tables.schema)}.idle_listeners`;
}
