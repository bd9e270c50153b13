import { type DomainEvent, type EventSerde, EventsError, type TopicName } from "@herald/events";
import {
  type Admin,
  type ConsumerConfig,
  type EachBatchPayload,
  type IHeaders,
  type Kafka,
  type Consumer as KafkaConsumer,
  type KafkaMessage,
  Partitioners,
  type Producer,
} from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import { OutboxError } from "./errors.js";
import { HEADERS } from "./headers.js";
import { DEFAULT_INBOX_RETENTION_MS, purgeInbox } from "./inbox.js";
import { type ConsumerMetrics, consumerMetrics } from "./metrics.js";
import { type Backoff, backoffDelay, isTransientDatabaseError, notify, sleep } from "./retry.js";

export interface Consumer {
  start(): Promise<void>;
  /** Lets the message in hand finish (or stops its retries), commits what is done and leaves the group. */
  stop(): Promise<void>;
}

export type ConsumeOutcome = "processed" | "duplicate" | "retried" | "dead_lettered";

/** What happened to one message; `error` is set for `retried` and `dead_lettered`. */
export interface ConsumeReport {
  readonly outcome: ConsumeOutcome;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Undefined when the message could not be decoded. */
  readonly event: DomainEvent | undefined;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly error?: OutboxError;
}

/** Observers for logging; they run synchronously inside the consumer, so keep them cheap. */
export interface ConsumerHooks {
  outcome?(report: ConsumeReport): void;
  /** Failures outside a message's own handling: the dead-letter topic unreachable, the consumer crashed. */
  error?(error: OutboxError): void;
}

export interface ConsumerOptions {
  readonly kafka: Kafka;
  readonly pool: pg.Pool;
  readonly groupId: string;
  readonly topics: readonly TopicName[] | readonly string[];
  readonly serde: EventSerde;
  /** Runs inside the DB transaction that also records the inbox entry; enqueue() with the same tx. */
  handle(event: DomainEvent, tx: pg.ClientBase): Promise<void>;
  readonly metrics?: Registry;
  readonly hooks?: ConsumerHooks;
  /** Attempts of a failing handler before the message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff between attempts. Default 200 ms to 10 s. */
  readonly retry?: Backoff;
  /** Default `<groupId>.dlq`. */
  readonly deadLetterTopic?: string;
  /** Where a new group starts. Default true: from the oldest retained message. */
  readonly fromBeginning?: boolean;
  /** Partitions handled in parallel (order holds within each). Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long handled event ids are remembered for deduplication; older ones are purged hourly.
   * Keep it at least as long as the topics' retention. Default 7 days.
   */
  readonly inboxRetentionMs?: number;
  /** Passed to kafkajs (session timeout, heartbeat interval, ...); `maxWaitTimeInMs` defaults to 1 s. */
  readonly consumerConfig?: Omit<ConsumerConfig, "groupId">;
}

const INBOX_PURGE_INTERVAL_MS = 60 * 60 * 1000;
const INBOX_INSERT = "INSERT INTO inbox (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why one attempt failed, and whether and how it may be tried again. */
interface Failure {
  readonly error: OutboxError;
  /** Database or registry unreachable: retried for as long as it takes, not counted as an attempt. */
  readonly infrastructure: boolean;
}

/**
 * The idempotent consumer: per message one DB transaction that records (group, eventId) in the inbox
 * and runs the handler, so a redelivered event changes nothing twice and whatever the handler
 * enqueues is published exactly when its changes commit. Offsets are resolved only after the commit.
 * Retryable failures back off and retry the same message; undecodable messages, non-retryable
 * handler errors and exhausted retries go to the dead-letter topic with the error in headers.
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const { kafka, pool, groupId, serde, hooks = {} } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `maxAttempts must be a positive integer, got ${maxAttempts}`,
    );
  if (options.topics.length === 0)
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", "topics must not be empty");
  const retry = options.retry ?? { initialMs: 200, maxMs: 10_000 };
  const deadLetterTopic = options.deadLetterTopic ?? `${groupId}.dlq`;
  const metrics: ConsumerMetrics = consumerMetrics(options.metrics);

  const inboxRetentionMs = options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS;
  if (!(inboxRetentionMs > 0))
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `inboxRetentionMs must be positive, got ${inboxRetentionMs}`,
    );

  let consumer: KafkaConsumer | undefined;
  let producer: Producer | undefined;
  let stopping = new AbortController();
  let purgeTimer: NodeJS.Timeout | undefined;

  function purgeOldInboxEntries(): void {
    purgeInbox(pool, { groupId, olderThanMs: inboxRetentionMs }).catch((error: unknown) =>
      notify(
        hooks.error,
        new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `purging the inbox failed: ${text(error)}`, {
          cause: error,
        }),
      ),
    );
  }

  function report(
    outcome: ConsumeOutcome,
    topic: string,
    partition: number,
    fields: Omit<ConsumeReport, "outcome" | "topic" | "partition">,
  ): void {
    metrics.messages.inc({ group: groupId, topic, outcome });
    notify(hooks.outcome, { outcome, topic, partition, ...fields });
  }

  async function decode(message: KafkaMessage): Promise<DomainEvent> {
    if (!message.value || message.value.length === 0)
      throw new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", "the message has no value", { retryable: false });
    let event: DomainEvent;
    try {
      event = await serde.decode(message.value);
    } catch (error) {
      const retryable = error instanceof EventsError && error.retryable;
      throw new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", `could not decode the message: ${text(error)}`, {
        cause: error,
        retryable,
      });
    }
    if (!UUID.test(event.data.metadata.eventId))
      throw new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", "the event's metadata.eventId is not a UUID", {
        retryable: false,
      });
    return event;
  }

  async function handleOnce(event: DomainEvent): Promise<"processed" | "duplicate"> {
    const client = await pool.connect().catch((error: unknown) => {
      throw infrastructure(error);
    });
    const onError = () => {};
    client.on("error", onError);
    let broken = false;
    let inHandler = false;
    try {
      await client.query("BEGIN");
      const inserted = await client.query(INBOX_INSERT, [groupId, event.data.metadata.eventId]);
      if (inserted.rowCount === 0) {
        await client.query("ROLLBACK");
        return "duplicate";
      }
      inHandler = true;
      await options.handle(event, client);
      inHandler = false;
      await client.query("COMMIT");
      return "processed";
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw inHandler ? handlerFailure(error) : infrastructure(error);
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  async function deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: OutboxError,
    attempts: number,
    active: () => boolean,
  ): Promise<boolean> {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const headers: IHeaders = {
      ...message.headers,
      [HEADERS.dlqErrorCode]: error.code,
      [HEADERS.dlqErrorMessage]: error.message.slice(0, 2_000),
      [HEADERS.dlqTopic]: topic,
      [HEADERS.dlqPartition]: String(partition),
      [HEADERS.dlqOffset]: message.offset,
      [HEADERS.dlqGroup]: groupId,
      [HEADERS.dlqAttempts]: String(attempts),
      [HEADERS.dlqFailedAt]: new Date().toISOString(),
    };
    if (typeof cause?.code === "string") headers[HEADERS.dlqCauseCode] = cause.code;
    for (let attempt = 1; active(); attempt++) {
      try {
        await producer!.send({
          topic: deadLetterTopic,
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers }],
        });
        metrics.deadLettered.inc({ group: groupId, topic, code: error.code });
        return true;
      } catch (sendError) {
        notify(
          hooks.error,
          new OutboxError(
            "OUTBOX_DEAD_LETTER_FAILED",
            `could not write to ${deadLetterTopic}: ${text(sendError)}`,
            {
              cause: sendError,
            },
          ),
        );
        await sleep(backoffDelay(attempt, retry), stopping.signal);
      }
    }
    return false;
  }

  /** Handles one message to a final outcome; false if stopped or rebalanced first (it will be redelivered). */
  async function consume(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ): Promise<boolean> {
    let event: DomainEvent | undefined;
    let counted = 0;
    for (let attempt = 1; active(); attempt++) {
      let failure: Failure;
      try {
        event ??= await decode(message);
        const outcome = await handleOnce(event);
        report(outcome, topic, partition, { offset: message.offset, event, attempt });
        return true;
      } catch (error) {
        failure = classify(error);
      }
      if (!failure.infrastructure) counted += 1;
      const exhausted = !failure.infrastructure && counted >= maxAttempts;
      if (!failure.error.retryable || exhausted) {
        const final =
          exhausted && failure.error.retryable ? exhaustedError(failure.error, counted) : failure.error;
        if (!(await deadLetter(topic, partition, message, final, attempt, active))) return false;
        report("dead_lettered", topic, partition, { offset: message.offset, event, attempt, error: final });
        return true;
      }
      report("retried", topic, partition, { offset: message.offset, event, attempt, error: failure.error });
      await sleep(backoffDelay(failure.infrastructure ? attempt : counted, retry), stopping.signal);
      await heartbeat();
    }
    return false;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const active = () => isRunning() && !isStale() && !stopping.signal.aborted;
    const high = Number(batch.highWatermark);
    for (const message of batch.messages) {
      if (!active()) break;
      if (!(await consume(batch.topic, batch.partition, message, heartbeat, active))) break;
      resolveOffset(message.offset);
      metrics.lag.set(
        { group: groupId, topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, high - Number(message.offset) - 1),
      );
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  return {
    async start() {
      if (consumer) return;
      stopping = new AbortController();
      const dlqProducer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      // A fetch waits at most a second for data, so stopping never sits out kafkajs's 5 s long poll.
      const groupConsumer = kafka.consumer({ maxWaitTimeInMs: 1_000, ...options.consumerConfig, groupId });
      producer = dlqProducer;
      try {
        const admin: Admin = kafka.admin();
        try {
          await admin.connect();
          // Subscribing to a topic the broker is still auto-creating fails, so create the subscribed
          // topics and the DLQ up front; existing ones are left as they are, and where creation is
          // not allowed the broker's own topics are used as they come.
          await admin
            .createTopics({
              topics: [...options.topics, deadLetterTopic].map((topic) => ({ topic })),
              waitForLeaders: true,
            })
            .catch(() => false);
        } finally {
          await admin.disconnect().catch(() => {});
        }
        await dlqProducer.connect();
        await groupConsumer.connect();
        await groupConsumer.subscribe({
          topics: [...options.topics],
          fromBeginning: options.fromBeginning ?? true,
        });
        groupConsumer.on(groupConsumer.events.CRASH, (event) => {
          const error = event.payload.error;
          notify(
            hooks.error,
            new OutboxError("OUTBOX_KAFKA_UNAVAILABLE", `consumer ${groupId} crashed: ${text(error)}`, {
              cause: error,
            }),
          );
        });
        await groupConsumer.run({
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
          eachBatch,
        });
      } catch (error) {
        producer = undefined;
        await groupConsumer.disconnect().catch(() => {});
        await dlqProducer.disconnect().catch(() => {});
        throw new OutboxError(
          "OUTBOX_KAFKA_UNAVAILABLE",
          `consumer ${groupId} could not start: ${text(error)}`,
          {
            cause: error,
          },
        );
      }
      consumer = groupConsumer;
      purgeOldInboxEntries();
      purgeTimer = setInterval(purgeOldInboxEntries, INBOX_PURGE_INTERVAL_MS);
      purgeTimer.unref();
    },
    async stop() {
      const current = consumer;
      if (!current) return;
      consumer = undefined;
      clearInterval(purgeTimer);
      stopping.abort();
      await current.disconnect();
      await producer?.disconnect();
      producer = undefined;
    },
  };
}

function classify(error: unknown): Failure {
  if (error instanceof OutboxError) {
    const infrastructure =
      error.code === "OUTBOX_DATABASE_UNAVAILABLE" ||
      (error.code === "OUTBOX_UNDECODABLE_MESSAGE" && error.retryable);
    return { error, infrastructure };
  }
  return { error: handlerFailure(error), infrastructure: false };
}

function infrastructure(error: unknown): OutboxError {
  return new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `the inbox transaction failed: ${text(error)}`, {
    cause: error,
    retryable: true,
  });
}

/**
 * A handler's error is retried unless it says `retryable: false`; a database outage inside the
 * handler is infrastructure, retried without counting.
 */
function handlerFailure(error: unknown): OutboxError {
  if (isTransientDatabaseError(error)) return infrastructure(error);
  const retryable = (error as { retryable?: unknown } | null)?.retryable !== false;
  return new OutboxError("OUTBOX_HANDLER_FAILED", `the handler failed: ${text(error)}`, {
    cause: error,
    retryable,
  });
}

function exhaustedError(last: OutboxError, attempts: number): OutboxError {
  return new OutboxError("OUTBOX_RETRIES_EXHAUSTED", `gave up after ${attempts} attempts: ${last.message}`, {
    cause: last.cause ?? last,
    retryable: false,
  });
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
