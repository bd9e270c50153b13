/** Work that runs beside requests until stopped: a loop started once and waited for when stopped. */
export interface BackgroundLoop {
  /** Starts the loop; does nothing while it runs. */
  start(): void;
  /** Aborts the loop's signal and waits for the loop to return; does nothing when it is not running. */
  stop(): Promise<void>;
}

/** `run` started by `start()` with a signal that `stop()` aborts before waiting for `run` to return. */
export function backgroundLoop(run: (signal: AbortSignal) => Promise<void>): BackgroundLoop {
  let running: { stop: AbortController; loop: Promise<void> } | undefined;
  return {
    start() {
      if (running) return;
      const stop = new AbortController();
      running = { stop, loop: run(stop.signal) };
    },
    async stop() {
      const current = running;
      running = undefined;
      if (!current) return;
      current.stop.abort();
      await current.loop;
    },
  };
}
