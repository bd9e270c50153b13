import { type Admin, type Consumer as KafkaConsumer, Partitioners } from "kafkajs";
import { errorMessage, OutboxError } from "../errors.js";
import { purgeInbox } from "../inbox.js";
import type { BatchHandler } from "./batch.js";
import type { ConsumerContext } from "./context.js";
import type { DeadLetters } from "./dead-letter.js";

const INBOX_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The consumer's life in its group: creates missing topics, connects the dead-letter producer and
 * the group consumer, runs the batch handler, purges the inbox hourly; stop() leaves the group.
 */
export class GroupMembership {
  private consumer: KafkaConsumer | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly deadLetters: DeadLetters,
    private readonly batches: BatchHandler,
  ) {}

  async start(): Promise<void> {
    if (this.consumer) return;
    const { ctx } = this;
    const { kafka, settings } = ctx;
    ctx.stopping = new AbortController();
    const dlqProducer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // A fetch waits at most a second for data, so stopping never sits out kafkajs's 5 s long poll.
    const groupConsumer = kafka.consumer({
      maxWaitTimeInMs: 1_000,
      ...settings.consumerConfig,
      groupId: settings.groupId,
    });
    this.deadLetters.producer = dlqProducer;
    try {
      await this.createMissingTopics();
      await dlqProducer.connect();
      await groupConsumer.connect();
      await groupConsumer.subscribe({ topics: [...settings.topics], fromBeginning: settings.fromBeginning });
      groupConsumer.on(groupConsumer.events.CRASH, (event) => {
        const error = event.payload.error;
        ctx.monitor.error(
          new OutboxError(
            "OUTBOX_KAFKA_UNAVAILABLE",
            `consumer ${settings.groupId} crashed: ${errorMessage(error)}`,
            { cause: error },
          ),
        );
      });
      await groupConsumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        eachBatch: this.batches.eachBatch,
      });
    } catch (error) {
      this.deadLetters.producer = undefined;
      await groupConsumer.disconnect().catch(() => {});
      await dlqProducer.disconnect().catch(() => {});
      throw new OutboxError(
        "OUTBOX_KAFKA_UNAVAILABLE",
        `consumer ${settings.groupId} could not start: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    this.consumer = groupConsumer;
    this.purgeOldInboxEntries();
    this.purgeTimer = setInterval(() => this.purgeOldInboxEntries(), INBOX_PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    const current = this.consumer;
    if (!current) return;
    this.consumer = undefined;
    clearInterval(this.purgeTimer);
    this.ctx.stopping.abort();
    await current.disconnect();
    await this.deadLetters.producer?.disconnect();
    this.deadLetters.producer = undefined;
  }

  /**
   * Subscribing to a topic the broker is still auto-creating fails, so the missing subscribed topics
   * and the DLQ are created up front. Existing ones are not asked for (the broker would answer with
   * errors that kafkajs logs loudly); where creation is not allowed the broker's own topics are used
   * as they come.
   */
  private async createMissingTopics(): Promise<void> {
    const { kafka, settings } = this.ctx;
    const admin: Admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = [...settings.topics, settings.deadLetterTopic].filter((topic) => !existing.has(topic));
      if (missing.length > 0)
        await admin
          .createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true })
          .catch(() => false);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  private purgeOldInboxEntries(): void {
    const { pool, settings, monitor } = this.ctx;
    purgeInbox(pool, { groupId: settings.groupId, olderThanMs: settings.inboxRetentionMs }).catch(
      (error: unknown) =>
        monitor.error(
          new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `purging the inbox failed: ${errorMessage(error)}`, {
            cause: error,
          }),
        ),
    );
  }
}
