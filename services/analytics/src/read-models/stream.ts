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
 */
export function createSummaryStream(options: {
  pool: pg.Pool;
  readSummary: () => Promise<Summary>;
  pollMs: number;
  onError?: (error: unknown) => void;
}): SummaryStream {
  const listeners = new Set<SummaryListener>();
  let timer: NodeJS.Timeout | undefined;
  let version: string | undefined;
  let polling = false;

  async function poll(): Promise<void> {
    if (polling || listeners.size === 0) return;
    polling = true;
    try {
      const current = await readVersion(options.pool);
      if (current === version) return;
      const summary = await options.readSummary();
      version = summary.version;
      for (const listener of listeners) listener(summary);
    } catch (error) {
      options.onError?.(error);
    } finally {
      polling = false;
    }
  }

  return {
    async subscribe(listener) {
      const summary = await options.readSummary();
      listeners.add(listener);
      listener(summary);
      if (listeners.size === 1) version = summary.version;
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
