import type { DomainEvent } from "@herald/events";
import type { EachBatchPayload } from "kafkajs";
import { redriveMarkOf } from "../parked-keys.js";
import { sleep } from "../retry.js";
import { traceProcessing } from "../tracing.js";
import type { ConsumerContext } from "./context.js";
import type { DeadLetters, Origin } from "./dead-letter.js";
import { decode } from "./decode.js";
import { handleInTransaction } from "./inbox-transaction.js";
import { keyOf, keyParkedError, parkKeyOf } from "./park-rules.js";
import { classify, type Failure, RetryBudget } from "./retries.js";

/**
 * Batch handling: each message of a partition's batch, in order, to a final outcome (processed,
 * duplicate, or dead-lettered), then its offset resolved and committed — only after the inbox
 * transaction committed (kafkajs's auto-resolve is off).
 */
export class BatchHandler {
  constructor(
    private readonly ctx: ConsumerContext,
    private readonly deadLetters: DeadLetters,
  ) {}

  readonly eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const active = () => isRunning() && !isStale() && !this.ctx.stopping.signal.aborted;
    const high = Number(batch.highWatermark);
    for (const message of batch.messages) {
      if (!active()) break;
      const origin = { topic: batch.topic, partition: batch.partition, message };
      if (!(await this.consume(origin, heartbeat, active))) break;
      resolveOffset(message.offset);
      this.ctx.monitor.lag(batch.topic, batch.partition, Math.max(0, high - Number(message.offset) - 1));
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  };

  /** Handles one message to a final outcome; false if stopped or rebalanced first (it will be redelivered). */
  private async consume(
    origin: Origin,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ): Promise<boolean> {
    const where = `${origin.topic}/${origin.partition}`;
    try {
      return await traceProcessing(origin, this.ctx.settings.groupId, () =>
        this.consumeUntilFinal(origin, heartbeat, active, where),
      );
    } finally {
      this.ctx.monitor.unblock(where);
    }
  }

  private async consumeUntilFinal(
    origin: Origin,
    heartbeat: () => Promise<void>,
    active: () => boolean,
    where: string,
  ): Promise<boolean> {
    const { ctx, deadLetters } = this;
    const { monitor } = ctx;
    const { topic, partition, message } = origin;
    const key = keyOf(message);
    const redrive = redriveMarkOf(message.headers);
    const budget = new RetryBudget(ctx.settings);
    let event: DomainEvent | undefined;
    for (let attempt = 1; active(); attempt++) {
      let failure: Failure;
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
