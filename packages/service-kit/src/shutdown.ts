import type { Logger } from "pino";

export interface Shutdown {
  /** Registers something to close; closing runs in reverse registration order. */
  add(name: string, close: () => Promise<void> | void): void;
  /** Closes everything once (later calls get the same promise); a failing step is logged, the rest still run. */
  close(reason: string): Promise<void>;
  /** Closes on the first of these signals and then exits: 0 when clean, 1 on failure or timeout. */
  listen(signals?: readonly NodeJS.Signals[]): void;
}

/**
 * Graceful shutdown for a composition root: register each resource as it is started, so they
 * stop in the reverse order (HTTP first, the pool last).
 */
export function createShutdown(options: {
  logger: Logger;
  /** After this long the process exits with 1 even if something still hangs. Default 15 s. */
  timeoutMs?: number;
  exit?: (code: number) => void;
}): Shutdown {
  const steps: { name: string; close: () => Promise<void> | void }[] = [];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let closing: Promise<boolean> | undefined;

  const run = (reason: string): Promise<boolean> => {
    closing ??= (async () => {
      options.logger.info({ reason }, "shutting down");
      let clean = true;
      for (const step of [...steps].reverse()) {
        const started = Date.now();
        try {
          await step.close();
          options.logger.debug({ step: step.name, ms: Date.now() - started }, "closed");
        } catch (error) {
          clean = false;
          options.logger.error({ err: error, step: step.name }, "failed to close");
        }
      }
      options.logger.info({ clean }, "shut down");
      return clean;
    })();
    return closing;
  };

  return {
    add(name, close) {
      steps.push({ name, close });
    },
    async close(reason) {
      await run(reason);
    },
    listen(signals = ["SIGTERM", "SIGINT"]) {
      for (const signal of signals) {
        process.once(signal, () => {
          const timer = setTimeout(() => {
            options.logger.error({ timeoutMs: options.timeoutMs ?? 15_000 }, "shutdown timed out");
            exit(1);
          }, options.timeoutMs ?? 15_000);
          timer.unref();
          void run(signal).then((clean) => {
            clearTimeout(timer);
            exit(clean ? 0 : 1);
          });
        });
      }
    },
  };
}
