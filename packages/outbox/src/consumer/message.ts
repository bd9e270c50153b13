import type { DomainEvent } from "@herald/events";
import { redriveMarkOf } from "../parked-keys.js";
import { sleep } from "../retry.js";
import type { ConsumerContext } from "./context.js";
import type { DeadLetters, Origin } from "./dead-letter.js";
import { decode } from "./decode.js";
import { handleInTransaction } from "./inbox-transaction.js";
import { keyOf, keyParkedError, parkKeyOf } from "./park-rules.js";
import { classify, type Failure, RetryBudget } from "./retries.js";

/** A first attempt that already failed elsewhere (in a chunk's transaction): it counts as attempt 1. */
export interface FirstFailure {
  readonly event: DomainEvent;
  readonly failure: Failure;
}

/**
 * One message to a final outcome (processed, duplicate, or dead-lettered) in transactions of its
 * own: its retries in place, a dead letter and its key parked, a parked key's message following it
 * to the dead-letter topic. Chunks hand it the messages they cannot take and the ones whose handler
 * failed.
 */
export class MessageHandler {
  constructor(
    private readonly ctx: ConsumerContext,
    private readonly deadLetters: DeadLetters,
  ) {}

  /** False if stopped or rebalanced first (the message will be redelivered). */
  async untilFinal(
    origin: Origin,
    heartbeat: () => Promise<void>,
    active: () => boolean,
    first?: FirstFailure,
  ): Promise<boolean> {
    const { ctx, deadLetters } = this;
    const { monitor } = ctx;
    const { topic, partition, message } = origin;
    const where = `${topic}/${partition}`;
    const key = keyOf(message);
    const redrive = redriveMarkOf(message.headers);
    const budget = new RetryBudget(ctx.settings);
    let event: DomainEvent | undefined = first?.event;
    for (let attempt = 1; active(); attempt++) {
      let failure: Failure;
      if (first && attempt === 1) failure = first.failure;
      else
        try {
          event ??= await decode(ctx.serde, message);
          const outcome = await handleInTransaction(ctx, event, key, redrive);
          monitor.unblock(where);
          if (outcome === "parked") {
            // A parked key's later message follows it to the dead-letter topic, in order.
            const error = keyParkedError(key!);
            if (!(await deadLetters.write(origin, error, attempt, active))) return false;
            monitor.report("dead_lettered", topic, partition, {
              offset: message.offset,
              event,
              attempt,
              error,
            });
            return true;
          }
          monitor.report(outcome, topic, partition, { offset: message.offset, event, attempt });
          return true;
        } catch (error) {
          failure = classify(error);
        }
      if (failure.infrastructure) monitor.block(where, failure.error);
      else monitor.unblock(where);
      const verdict = budget.next(failure, attempt);
      if ("giveUp" in verdict) {
        const final = verdict.giveUp;
        if (!(await deadLetters.write(origin, final, attempt, active))) return false;
        if (key !== undefined && !(await parkKeyOf(ctx, key, origin, final, active))) return false;
        monitor.report("dead_lettered", topic, partition, {
          offset: message.offset,
          event,
          attempt,
          error: final,
        });
        return true;
      }
      monitor.report("retried", topic, partition, {
        offset: message.offset,
        event,
        attempt,
        error: failure.error,
      });
      await sleep(verdict.retryInMs, ctx.stopping.signal);
      await heartbeat();
    }
    return false;
  }
}
