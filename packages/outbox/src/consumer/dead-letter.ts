import type { IHeaders, KafkaMessage, Producer } from "kafkajs";
import { errorMessage, OutboxError } from "../errors.js";
import { HEADERS } from "../headers.js";
import { backoffDelay, sleep } from "../retry.js";
import { startDeadLetterSpan } from "../tracing.js";
import type { ConsumerContext } from "./context.js";

/** Where a message was consumed from. */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * Writes a message to the group's dead-letter topic with its original key, value and headers plus
 * why it failed and where it came from; retries until it is written or the partition is lost.
 */
export class DeadLetters {
  /** Connected while the consumer runs. */
  producer: Producer | undefined;

  constructor(private readonly ctx: ConsumerContext) {}

  /** False when stopped or rebalanced before the write succeeded. */
  async write(origin: Origin, error: OutboxError, attempts: number, active: () => boolean): Promise<boolean> {
    const { settings, monitor } = this.ctx;
    const { topic, partition, message } = origin;
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const headers: IHeaders = {
      ...message.headers,
      [HEADERS.dlqErrorCode]: error.code,
      [HEADERS.dlqErrorMessage]: error.message.slice(0, 2_000),
      [HEADERS.dlqTopic]: topic,
      [HEADERS.dlqPartition]: String(partition),
      [HEADERS.dlqOffset]: message.offset,
      [HEADERS.dlqGroup]: settings.groupId,
      [HEADERS.dlqAttempts]: String(attempts),
      [HEADERS.dlqFailedAt]: new Date().toISOString(),
    };
    if (typeof cause?.code === "string") headers[HEADERS.dlqCauseCode] = cause.code;
    const span = startDeadLetterSpan(origin, settings.deadLetterTopic, headers);
    for (let attempt = 1; active(); attempt++) {
      try {
        await this.producer!.send({
          topic: settings.deadLetterTopic,
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers }],
        });
        monitor.deadLettered(topic, error);
        span.end();
        return true;
      } catch (sendError) {
        monitor.error(
          new OutboxError(
            "OUTBOX_DEAD_LETTER_FAILED",
            `could not write to ${settings.deadLetterTopic}: ${errorMessage(sendError)}`,
            { cause: sendError },
          ),
        );
        await sleep(backoffDelay(attempt, settings.retry), this.ctx.stopping.signal);
      }
    }
    span.end(new Error("stopped before the dead letter was written"));
    return false;
  }
}
