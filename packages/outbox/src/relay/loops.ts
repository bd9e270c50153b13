import { errorMessage, OutboxError } from "../errors.js";
import { backoffDelay, notify, sleep } from "../retry.js";
import type { RelayContext } from "./context.js";
import type { CycleResult, PublishCycle } from "./cycle.js";
import type { Maintenance } from "./maintenance.js";
import type { Publisher } from "./publisher.js";

/** Longest pause between polls while fences wait for transactions to finish. */
const WAITING_POLL_MAX_MS = 4;

/**
 * Runs cycles back to back while there is work, polls with a growing pause (1–25 ms by default)
 * when there is none, and backs off after a failure.
 */
export async function publishLoop(
  ctx: RelayContext,
  cycle: PublishCycle,
  publisher: Publisher,
  signal: AbortSignal,
): Promise<void> {
  const { poll, retry } = ctx.settings;
  let failures = 0;
  let pause = poll.min;
  while (!signal.aborted) {
    let result: CycleResult;
    try {
      // Connecting before there is anything to send keeps that cost out of the first event's latency.
      await publisher.ensureProducer();
      result = await cycle.run();
      failures = 0;
    } catch (error) {
      failures += 1;
      const failure =
        error instanceof OutboxError
          ? error
          : new OutboxError("OUTBOX_PUBLISH_FAILED", errorMessage(error), { cause: error });
      cycle.failed(failure);
      ctx.metrics.failures.inc({ code: failure.code });
      notify(ctx.hooks.error, failure);
      await sleep(backoffDelay(failures, retry), signal);
      continue;
    }
    if (result === "full" || result === "published") {
      pause = poll.min;
      // Yield to the event loop between back-to-back cycles.
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    await sleep(pause, signal);
    // Waiting for running transactions to finish is short; only an idle relay slows down fully.
    pause = Math.min(result === "waiting" ? Math.min(poll.max, WAITING_POLL_MAX_MS) : poll.max, pause * 2);
  }
}

/** A maintenance pass every `maintenanceIntervalMs`; a failed one is reported and does not stop publishing. */
export async function maintenanceLoop(
  ctx: RelayContext,
  maintenance: Maintenance,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    await maintenance.pass(signal).catch((error: unknown) => {
      notify(
        ctx.hooks.error,
        new OutboxError("OUTBOX_MAINTENANCE_FAILED", `outbox maintenance failed: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
    });
    await sleep(ctx.settings.maintenanceIntervalMs, signal);
  }
}
