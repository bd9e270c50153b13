import type pg from "pg";
import { readVersion, type Summary } from "./queries.js";

export type SummaryListener = (summary: Summary) => void;

/** Pushes the summary to every listener whenever it changes. */
export interface SummaryStream {
  /** Calls `listener` with the current summary at once, then after every change; returns the unsubscribe. */
  subscribe(listener: SummaryListener): Promise<() => void>;
  close(): void;
}

/**
 * One poll of the live version per instance, only while someone listens: when it moves (a fact
 * committed by this instance's consumer or another's, or a rebuild swapped in), the summary is read
 * once and sent to every listener. Polling a version is what makes several instances work without
 * a broadcast channel; it costs one primary-key read per `pollMs`.
 *
 * The latest summary is kept: while the poll runs it is current, so a new listener gets it without
 * a query; the first listener after a quiet spell checks the version and reads the summary only if
 * it moved, and listeners arriving meanwhile share that one read. So the summary is read once per
 * change per instance, however many listen.
 */
export function createSummaryStream(options: {
  pool: pg.Pool;
  readSummary: () => Promise<Summary>;
  pollMs: number;
  onError?: (error: unknown) => void;
}): SummaryStream {
  const listeners = new Set<SummaryListener>();
  let timer: NodeJS.Timeout | undefined;
  let latest: Summary | undefined;
  let loading: Promise<Summary> | undefined;
  let polling = false;

  /** The current summary: the kept one while the poll keeps it fresh, else one shared read. */
  function current(): Promise<Summary> {
    if (latest && timer) return Promise.resolve(latest);
    loading ??= (async () => {
      try {
        if (latest && (await readVersion(options.pool)) === latest.version) return latest;
        latest = await options.readSummary();
        return latest;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  async function poll(): Promise<void> {
    if (polling || listeners.size === 0) return;
    polling = true;
    try {
      const version = await readVersion(options.pool);
      if (version === latest?.version) return;
      const summary = await options.readSummary();
      latest = summary;
      for (const listener of listeners) listener(summary);
    } catch (error) {
      options.onError?.(error);
    } finally {
      polling = false;
    }
  }

  return {
    async subscribe(listener) {
      const summary = await current();
      listeners.add(listener);
      listener(summary);
      timer ??= setInterval(() => void poll(), options.pollMs);
      timer.unref();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    close() {
      listeners.clear();
      clearInterval(timer);
      timer = undefined;
    },
  };
}
