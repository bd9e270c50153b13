import { type IHeaders, type Message, Partitioners, type Producer } from "kafkajs";
import { errorMessage, OutboxError } from "../errors.js";
import { HEADERS } from "../headers.js";
import { notify } from "../retry.js";
import { startPublishSpans } from "../tracing.js";
import type { RelayContext } from "./context.js";
import type { Row } from "./reading.js";
import type { PublishedEvent } from "./types.js";

/** A row and its encoded value, ready to send. */
export interface Encoded {
  readonly row: Row;
  readonly value: Buffer;
}

/**
 * The relay's Kafka side: one idempotent producer (`maxInFlightRequests: 1`, `acks: all`), one
 * `sendBatch` at a time, replaced after a failed send.
 */
export class Publisher {
  private producer: Producer | undefined;

  constructor(private readonly ctx: RelayContext) {}

  async ensureProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const created = this.ctx.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // The Java client's murmur2 partitioner: a key lands on the same partition whatever the client.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    try {
      await created.connect();
    } catch (error) {
      await created.disconnect().catch(() => {});
      throw new OutboxError(
        "OUTBOX_KAFKA_UNAVAILABLE",
        `could not connect to Kafka: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    this.producer = created;
    return created;
  }

  /** A producer that failed is replaced: a fresh one recovers from any state a broker restart left. */
  async dropProducer(): Promise<void> {
    const current = this.producer;
    this.producer = undefined;
    await current?.disconnect().catch(() => {});
  }

  /** Sends the rows (keyed by aggregate, with Herald's headers) and reports them once Kafka acknowledged. */
  async send(entries: readonly Encoded[]): Promise<void> {
    const { metrics, hooks, settings } = this.ctx;
    const byTopic = new Map<string, Message[]>();
    const spans = startPublishSpans(
      entries.map((entry) => entry.row),
      settings.topicName,
      this.ctx.clockOffsetMs,
    );
    for (const [index, { row, value }] of entries.entries()) {
      const headers: IHeaders = {
        [HEADERS.eventType]: row.event_type,
        [HEADERS.eventId]: row.event_id,
        [HEADERS.correlationId]: row.correlation_id,
      };
      const traceparent = spans.traceparent(index);
      if (traceparent) headers[HEADERS.traceparent] = traceparent;
      const topic = settings.topicName(row.topic);
      let messages = byTopic.get(topic);
      if (!messages) {
        messages = [];
        byTopic.set(topic, messages);
      }
      messages.push({ key: row.aggregate_key, value, headers });
    }
    const active = await this.ensureProducer();
    try {
      await active.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      spans.end(error);
      await this.dropProducer();
      throw new OutboxError(
        "OUTBOX_PUBLISH_FAILED",
        `Kafka did not acknowledge a batch: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    spans.end();
    const ackedAt = Date.now();
    const events: PublishedEvent[] = entries.map(({ row }) => {
      const writtenAt = Number(row.written_ms) - this.ctx.clockOffsetMs;
      metrics.publishLatency.observe(Math.max(0, ackedAt - writtenAt) / 1000);
      return {
        eventId: row.event_id,
        eventType: row.event_type,
        topic: settings.topicName(row.topic),
        key: row.aggregate_key,
        correlationId: row.correlation_id,
        writtenAt,
      };
    });
    for (const [topic, messages] of byTopic) metrics.published.inc({ topic }, messages.length);
    notify(hooks.published, { events, ackedAt });
  }
}
