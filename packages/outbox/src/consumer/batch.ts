import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import { traceProcessing } from "../tracing.js";
import { CHUNK_MAX_MESSAGES, ChunkHandler } from "./chunk.js";
import type { ConsumerContext } from "./context.js";
import type { DeadLetters, Origin } from "./dead-letter.js";
import { MessageHandler } from "./message.js";

/**
 * Batch handling: a partition's batch, in order, in chunks of consecutive messages that share one
 * transaction (see {@link ChunkHandler}); a message a chunk cannot take goes alone to its final
 * outcome (processed, duplicate, or dead-lettered). A message's offset is resolved, and committed
 * when due, only after the transaction that handled it committed (kafkajs's auto-resolve is off).
 */
export class BatchHandler {
  private readonly oneByOne: MessageHandler;
  private readonly chunks: ChunkHandler;

  constructor(
    private readonly ctx: ConsumerContext,
    deadLetters: DeadLetters,
  ) {
    this.oneByOne = new MessageHandler(ctx, deadLetters);
    this.chunks = new ChunkHandler(ctx, this.oneByOne);
  }

  readonly eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const active = () => isRunning() && !isStale() && !this.ctx.stopping.signal.aborted;
    const { topic, partition, messages } = batch;
    const high = Number(batch.highWatermark);
    const settle = (message: KafkaMessage) => {
      resolveOffset(message.offset);
      this.ctx.monitor.lag(topic, partition, Math.max(0, high - Number(message.offset) - 1));
    };
    let next = 0;
    while (next < messages.length && active()) {
      const chunk = messages.slice(next, next + CHUNK_MAX_MESSAGES);
      const result = await this.chunks.run({ topic, partition }, chunk, settle, heartbeat, active);
      next += result.settled;
      if (result.stopped) break;
      if (result.settled === 0) {
        const message = messages[next]!;
        if (!(await this.consume({ topic, partition, message }, heartbeat, active))) break;
        settle(message);
        next += 1;
      }
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  };

  /** Handles one message alone to a final outcome; false if stopped or rebalanced first (it will be redelivered). */
  private async consume(
    origin: Origin,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ): Promise<boolean> {
    try {
      return await traceProcessing(origin, this.ctx.settings.groupId, () =>
        this.oneByOne.untilFinal(origin, heartbeat, active),
      );
    } finally {
      this.ctx.monitor.unblock(`${origin.topic}/${origin.partition}`);
    }
  }
}
