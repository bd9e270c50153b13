import { errorMessage, OutboxError } from "../errors.js";
import { backoffDelay, notify, sleep } from "../retry.js";
import type { RelayContext } from "./context.js";
import type { CycleResult, PublishCycle } from "./cycle.js";
import type { Maintenance } from "./maintenance.js";
import type { Publisher } from "./publisher.js";

/** Longest pause between polls while fences wait for transactions to finish. */
const WAITING_POLL_MAX_MS = 4;

/**
 * Runs cycles back to back while there is work and backs off after a failure. With nothing to do it
 * polls (1–25 ms) for a quarter of a second, then registers as idle and waits for the outbox's
 * notification (a committed insert), at most `fallbackPollMs` or until a re-balance is due; it
 * unregisters when it finds rows again, so writers under load notify nobody. While rows wait for
 * their writers to finish it polls (1–4 ms), since a writer that rolls back notifies nobody.
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
  const failed = async (error: unknown) => {
    failures += 1;
    const failure =
      error instanceof OutboxError
        ? error
        : new OutboxError("OUTBOX_PUBLISH_FAILED", errorMessage(error), { cause: error });
    cycle.failed(failure);
    ctx.metrics.failures.inc({ code: failure.code });
    notify(ctx.hooks.error, failure);
    await sleep(backoffDelay(failures, retry), signal);
  };
  while (!signal.aborted) {
    let result: CycleResult;
    try {
      // Connecting before there is anything to send keeps that cost out of the first event's latency.
      await publisher.ensureProducer();
      // A notification from here on means rows this cycle may not see: it makes the next one run at once.
      ctx.wakeup.clear();
      result = await cycle.run();
      failures = 0;
    } catch (error) {
      await failed(error);
      continue;
    }
    if (result === "full" || result === "published") {
      pause = poll.min;
      try {
        await cycle.busy();
      } catch (error) {
        await failed(error);
        continue;
      }
      // Yield to the event loop between back-to-back cycles.
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    if (result === "idle") {
      if (cycle.registeredIdle) {
        await ctx.wakeup.wait(Math.min(ctx.settings.fallbackPollMs, cycle.untilRebalance()), signal);
        continue;
      }
      let registered: boolean;
      try {
        registered = await cycle.idle();
      } catch (error) {
        await failed(error);
        continue;
      }
      // Just registered: rows committed before that notified nobody, so one cycle more first.
      if (registered) continue;
      await ctx.wakeup.wait(Math.max(1, Math.min(pause, cycle.untilIdle())), signal);
      pause = Math.min(poll.max, pause * 2);
      continue;
    }
    // The writers' commits notify too; the poll covers those that roll back.
    await ctx.wakeup.wait(pause, signal);
    // Waiting for running transactions to finish is short.
    pause = Math.min(poll.max, WAITING_POLL_MAX_MS, pause * 2);
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
