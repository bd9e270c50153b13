import pg from "pg";

/**
 * A loop's wake-up: `wait` ends at the timeout, when the signal aborts, or as soon as `wake()` is
 * called — also for a wake-up that came while the loop was busy, since the last `clear()`. A loop
 * calls `clear()` right before it looks for work, so a notification of work committed during the
 * look costs one more look, never a missed one.
 */
export class Wakeup {
  private pending = false;
  private waiter: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.waiter?.();
  }

  clear(): void {
    this.pending = false;
  }

  /** Resolves true when woken, false at the timeout or abort. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending) return Promise.resolve(true);
    if (signal?.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", aborted);
        this.waiter = undefined;
        resolve(woken);
      };
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener("abort", aborted, { once: true });
      this.waiter = () => done(true);
    });
  }
}

/**
 * How long a loop finds nothing before it registers as idle, so that writers start notifying it.
 * A loop under load never stays idle that long: its writers' commits notify nobody (each notifying
 * commit takes a cluster-wide lock across its WAL flush).
 */
export const REGISTER_IDLE_AFTER_MS = 250;

/**
 * When a loop registers as idle: after {@link REGISTER_IDLE_AFTER_MS} of finding nothing. Kept per
 * loop; `registered` is what the database holds for its connection.
 */
export class IdleState {
  registered = false;
  private idleSince: number | undefined;

  constructor(private readonly afterMs = REGISTER_IDLE_AFTER_MS) {}

  /** After a look that found nothing: whether it is time to register. */
  dueToRegister(now = Date.now()): boolean {
    if (this.registered) return false;
    this.idleSince ??= now;
    return now - this.idleSince >= this.afterMs;
  }

  /** How long until it is due to register (0 once registered or due). */
  untilDue(now = Date.now()): number {
    if (this.registered || this.idleSince === undefined) return this.afterMs;
    return Math.max(0, this.idleSince + this.afterMs - now);
  }

  /** After a look that found work: true when it was registered (the caller unregisters it). */
  busy(): boolean {
    this.idleSince = undefined;
    const was = this.registered;
    this.registered = false;
    return was;
  }
}

/** Registers the connection's backend as idle on `channel` (and drops entries of backends gone). */
export async function registerIdle(client: pg.ClientBase, table: string, channel: string): Promise<void> {
  await client.query(
    `WITH gone AS (DELETE FROM ${table} WHERE channel = $1 AND pid NOT IN (SELECT pid FROM pg_stat_activity))
     INSERT INTO ${table} (channel, pid) VALUES ($1, pg_backend_pid()) ON CONFLICT DO NOTHING`,
    [channel],
  );
}

/**
 * Drops the entries of backends that are gone (a loop that died while registered), on every channel
 * of the schema: left there, they would make every writer notify, at the cost measured above.
 */
export async function dropGoneListeners(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`DELETE FROM ${table} WHERE pid NOT IN (SELECT pid FROM pg_stat_activity)`);
}

export async function unregisterIdle(client: pg.ClientBase, table: string, channel: string): Promise<void> {
  await client.query(`DELETE FROM ${table} WHERE channel = $1 AND pid = pg_backend_pid()`, [channel]);
}

/**
 * Subscribes `client` to `channel` (LISTEN) and wakes `wakeup` for each notification whose payload
 * is `payload` (the schema the notifying table lives in, so schemas sharing a database do not wake
 * each other). Returns the function that removes the listener; a released connection ends the
 * subscription itself.
 */
export async function listenOn(
  client: pg.ClientBase,
  channel: string,
  payload: string,
  wakeup: Wakeup,
): Promise<() => void> {
  const onNotification = (message: pg.Notification) => {
    if (message.channel === channel && message.payload === payload) wakeup.wake();
  };
  client.on("notification", onNotification);
  await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  return () => client.off("notification", onNotification);
}

/** A connection of its own that listens for a channel's notifications, reconnecting when it is lost. */
export interface WorkListener {
  /** Ends when work is notified, after `ms` — or after `unlistenedMs` while not registered — or on abort. */
  wait(ms: number, unlistenedMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Forgets notifications received so far: called right before looking for work. */
  clear(): void;
  /**
   * After a look that found nothing: registers as idle once it has been for a while. True when it
   * just did: the caller looks once more before waiting (work committed before the registration
   * notified nobody).
   */
  idle(): Promise<boolean>;
  /** After a look that found work: unregisters, so writers stop notifying while it is busy. */
  busy(): void;
  /** Whether it is registered and listening: only then may it wait long. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** How long a lost listening connection rests before it is opened again. */
const RECONNECT_MS = 1_000;

/**
 * Opens a dedicated connection with `pool`'s settings (the pool's own connections stay free for
 * work), listens on `channel` for notifications whose payload is the connection's current schema,
 * registers in `idle_listeners` while the loop is idle, and reconnects after a loss. Until it
 * listens and is registered, waits use the caller's short poll, so losing the connection costs
 * latency, never work: notifications are only a hint to look now.
 */
export function listenForWork(pool: pg.Pool, channel: string): WorkListener {
  const wakeup = new Wakeup();
  const state = new IdleState();
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    retry = undefined;
    if (closed) return;
    const next = new pg.Client(pool.options);
    const lost = () => {
      if (client !== next) return;
      listening = false;
      state.busy();
      client = undefined;
      next.end().catch(() => {});
      if (!closed) retry = setTimeout(connect, RECONNECT_MS);
    };
    next.on("error", lost);
    next.on("end", lost);
    client = next;
    try {
      await next.connect();
      const { rows } = await next.query<{ schema: string }>("SELECT current_schema() AS schema");
      await listenOn(next, channel, rows[0]!.schema, wakeup);
      if (client !== next || closed) return;
      listening = true;
    } catch {
      lost();
    }
  };
  void connect();

  return {
    wait(ms, unlistenedMs, signal) {
      const long = listening && state.registered;
      return wakeup.wait(long ? ms : Math.min(ms, unlistenedMs, Math.max(1, state.untilDue())), signal);
    },
    clear: () => wakeup.clear(),
    async idle() {
      const current = client;
      if (!listening || !current || !state.dueToRegister()) return false;
      try {
        await registerIdle(current, "idle_listeners", channel);
        state.registered = true;
        return true;
      } catch {
        return false;
      }
    },
    busy() {
      const current = client;
      if (state.busy() && current && listening)
        unregisterIdle(current, "idle_listeners", channel).catch(() => {});
    },
    get listening() {
      return listening && state.registered;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      listening = false;
      if (current && state.busy()) await unregisterIdle(current, "idle_listeners", channel).catch(() => {});
      await current?.end().catch(() => {});
    },
  };
}
