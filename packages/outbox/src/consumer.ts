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
import { OutboxError, type OutboxErrorCode } from "./errors.js";
import { HEADERS } from "./headers.js";
import { DEFAULT_INBOX_RETENTION_MS, purgeInbox } from "./inbox.js";
import { type ConsumerMetrics, consumerMetrics } from "./metrics.js";
import { abandonRedrive, parkKey, type RedriveMark, redriveMarkOf, unparkKey } from "./parked-keys.js";
import { type Backoff, backoffDelay, isTransientDatabaseError, notify, sleep } from "./retry.js";

export interface Consumer {
  start(): Promise<void>;
  /** Lets the message in hand finish (or stops its retries), commits what is done and leaves the group. */
  stop(): Promise<void>;
  /** What a readiness check needs to know; cheap, no I/O. */
  health(): ConsumerHealth;
}

export interface ConsumerHealth {
  /**
   * Set while a message cannot be handled because our own infrastructure fails (the database, the
   * registry, the outbox without partitions): the consumer retries it without limit and makes no
   * progress on that partition meanwhile. `since` is when the oldest such failure began.
   */
  readonly blocked: { readonly error: OutboxError; readonly since: Date } | undefined;
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
  /** The consumer became blocked by an infrastructure failure (see {@link ConsumerHealth}), or `undefined` once it is not any more. */
  blocked?(error: OutboxError | undefined): void;
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
  /**
   * How long a message whose handler keeps failing is retried (from its first failure) before it is
   * dead-lettered and its key parked. Failures of our own infrastructure do not count. Default 60 s.
   */
  readonly retryBudgetMs?: number;
  /** Optionally also caps the attempts of a failing handler. Default: no cap, only `retryBudgetMs`. */
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
/** A minute of retries rides out a deploy of a dependency or a failover, yet stops a poison message soon. */
const DEFAULT_RETRY_BUDGET_MS = 60_000;
const INBOX_INSERT = "INSERT INTO inbox (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
/**
 * The locking read of the message key's park and, when the key is not parked, the inbox insert, in
 * one round trip (the common case; a parked key takes the separate steps). The insert runs whether
 * or not the final SELECT reads it, and sees the same snapshot as the read of the park.
 */
const CLAIM_UNLESS_PARKED = `
WITH parked AS (
  SELECT redrive_token FROM consumer_parked_keys WHERE consumer_group = $1 AND message_key = $3 FOR UPDATE
), inserted AS (
  INSERT INTO inbox (consumer_group, event_id)
  SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM parked)
  ON CONFLICT DO NOTHING RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM parked) AS parked, (SELECT redrive_token FROM parked) AS redrive_token,
       EXISTS (SELECT 1 FROM inserted) AS inserted`;
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
 * Retryable failures back off and retry the same message, within `retryBudgetMs`; failures of our
 * own infrastructure are retried without limit. Undecodable messages, non-retryable handler errors
 * and exhausted retries go to the dead-letter topic with the error in headers, and their key (the
 * aggregate id) is parked: its later messages follow it to the dead-letter topic, in order, until
 * an operator redrives them (see `redriveDeadLetters`).
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const { kafka, pool, groupId, serde, hooks = {} } = options;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  if (options.maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1))
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `maxAttempts must be a positive integer, got ${maxAttempts}`,
    );
  const retryBudgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  if (!(retryBudgetMs >= 0))
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `retryBudgetMs must be zero or more, got ${retryBudgetMs}`,
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
  /** Partitions (`topic/partition`) whose message waits for our infrastructure to come back. */
  const blocked = new Map<string, { error: OutboxError; since: Date }>();

  function block(where: string, error: OutboxError): void {
    const wasBlocked = blocked.size > 0;
    blocked.set(where, { error, since: blocked.get(where)?.since ?? new Date() });
    metrics.blockedPartitions.set({ group: groupId }, blocked.size);
    if (!wasBlocked) notify(hooks.blocked, error);
  }

  function unblock(where: string): void {
    if (!blocked.delete(where)) return;
    metrics.blockedPartitions.set({ group: groupId }, blocked.size);
    if (blocked.size === 0) notify(hooks.blocked, undefined);
  }

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

  /**
   * One attempt in one transaction: "parked" when the message's key is parked and the message is not
   * the redrive that releases it (a live message then also spoils any redrive under way for the key,
   * whose last message would otherwise unpark it ahead of this one).
   */
  async function handleOnce(
    event: DomainEvent,
    key: string | undefined,
    redrive: RedriveMark | undefined,
  ): Promise<"processed" | "duplicate" | "parked"> {
    const client = await pool.connect().catch((error: unknown) => {
      throw infrastructure(error);
    });
    const onError = () => {};
    client.on("error", onError);
    let broken = false;
    let inHandler = false;
    try {
      await client.query("BEGIN");
      const eventId = event.data.metadata.eventId;
      let inserted: boolean | undefined;
      if (key !== undefined) {
        const { rows } = await client.query<{
          parked: boolean;
          redrive_token: string | null;
          inserted: boolean;
        }>({ name: "herald-inbox-claim-v1", text: CLAIM_UNLESS_PARKED, values: [groupId, eventId, key] });
        const claim = rows[0]!;
        if (claim.parked) {
          if (!(redrive && claim.redrive_token === redrive.token)) {
            if (!redrive && claim.redrive_token) await abandonRedrive(client, groupId, key);
            await commit(client);
            return "parked";
          }
          if (redrive.last) await unparkKey(client, groupId, key, redrive.token);
        } else inserted = claim.inserted;
      }
      inserted ??= ((await client.query(INBOX_INSERT, [groupId, eventId])).rowCount ?? 0) > 0;
      if (!inserted) {
        await commit(client);
        return "duplicate";
      }
      inHandler = true;
      await options.handle(event, client);
      inHandler = false;
      await commit(client);
      return "processed";
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      if (error instanceof OutboxError && !inHandler) throw error;
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

  /** Records that `key` is parked, retrying while the database is away; false if stopped first. */
  async function park(
    key: string,
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: OutboxError,
    active: () => boolean,
  ): Promise<boolean> {
    for (let attempt = 1; active(); attempt++) {
      try {
        await parkKey(pool, groupId, key, {
          errorCode: error.code,
          topic,
          partition,
          offset: message.offset,
        });
        return true;
      } catch (parkError) {
        notify(hooks.error, infrastructure(parkError));
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
    const where = `${topic}/${partition}`;
    try {
      return await consumeUntilFinal(topic, partition, message, heartbeat, active, where);
    } finally {
      unblock(where);
    }
  }

  async function consumeUntilFinal(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    active: () => boolean,
    where: string,
  ): Promise<boolean> {
    const key = message.key && message.key.length > 0 ? message.key.toString() : undefined;
    const redrive = redriveMarkOf(message.headers);
    let event: DomainEvent | undefined;
    let counted = 0;
    let failingSince: number | undefined;
    for (let attempt = 1; active(); attempt++) {
      let failure: Failure;
      try {
        event ??= await decode(message);
        const outcome = await handleOnce(event, key, redrive);
        unblock(where);
        if (outcome === "parked") {
          const error = new OutboxError(
            "OUTBOX_KEY_PARKED",
            `key ${key} is parked: an earlier message of it was dead-lettered`,
          );
          if (!(await deadLetter(topic, partition, message, error, attempt, active))) return false;
          report("dead_lettered", topic, partition, { offset: message.offset, event, attempt, error });
          return true;
        }
        report(outcome, topic, partition, { offset: message.offset, event, attempt });
        return true;
      } catch (error) {
        failure = classify(error);
      }
      if (failure.infrastructure) {
        block(where, failure.error);
        // An outage in between makes the earlier failures suspect: the budget starts again after it.
        failingSince = undefined;
      } else {
        unblock(where);
        counted += 1;
        failingSince ??= Date.now();
      }
      const elapsed = failingSince === undefined ? 0 : Date.now() - failingSince;
      const exhausted = !failure.infrastructure && (counted >= maxAttempts || elapsed >= retryBudgetMs);
      if (!failure.error.retryable || exhausted) {
        const final =
          exhausted && failure.error.retryable
            ? exhaustedError(failure.error, counted, elapsed)
            : failure.error;
        if (!(await deadLetter(topic, partition, message, final, attempt, active))) return false;
        if (key !== undefined && !(await park(key, topic, partition, message, final, active))) return false;
        report("dead_lettered", topic, partition, { offset: message.offset, event, attempt, error: final });
        return true;
      }
      report("retried", topic, partition, { offset: message.offset, event, attempt, error: failure.error });
      const delay = backoffDelay(failure.infrastructure ? attempt : counted, retry);
      await sleep(failure.infrastructure ? delay : Math.min(delay, retryBudgetMs - elapsed), stopping.signal);
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
    health() {
      let oldest: ConsumerHealth["blocked"];
      for (const entry of blocked.values()) if (!oldest || entry.since < oldest.since) oldest = entry;
      return { blocked: oldest };
    },
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
          // Subscribing to a topic the broker is still auto-creating fails, so create the missing
          // subscribed topics and the DLQ up front. Existing ones are not asked for (the broker
          // would answer with errors that kafkajs logs loudly); where creation is not allowed the
          // broker's own topics are used as they come.
          const existing = new Set(await admin.listTopics());
          const missing = [...options.topics, deadLetterTopic].filter((topic) => !existing.has(topic));
          if (missing.length > 0)
            await admin
              .createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true })
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

/** Failures of our own infrastructure: no message is at fault, so none is ever dead-lettered for them. */
const INFRASTRUCTURE_CODES: ReadonlySet<OutboxErrorCode> = new Set([
  "OUTBOX_DATABASE_UNAVAILABLE",
  "OUTBOX_NO_PARTITION",
  "OUTBOX_KAFKA_UNAVAILABLE",
  "OUTBOX_REGISTRY_UNAVAILABLE",
]);

function classify(error: unknown): Failure {
  const failure = error instanceof OutboxError ? error : handlerFailure(error);
  const infrastructure =
    INFRASTRUCTURE_CODES.has(failure.code) ||
    (failure.code === "OUTBOX_UNDECODABLE_MESSAGE" && failure.retryable);
  return { error: failure, infrastructure };
}

function infrastructure(error: unknown): OutboxError {
  return new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `the inbox transaction failed: ${text(error)}`, {
    cause: error,
    retryable: true,
  });
}

/** Postgres answers COMMIT of an aborted transaction with ROLLBACK, not an error: check the tag. */
async function commit(client: pg.ClientBase): Promise<void> {
  const result = await client.query("COMMIT");
  if (result.command !== "COMMIT")
    throw new OutboxError(
      "OUTBOX_TRANSACTION_ROLLED_BACK",
      "the transaction was rolled back at COMMIT: a statement in the handler failed and its error was caught (run it under withSavepoint)",
    );
}

/**
 * A handler's error is retried unless it says `retryable: false`. Failures of our infrastructure
 * inside the handler, found anywhere in its cause chain (a database outage, an outbox without
 * partitions, the registry unreachable), are infrastructure: retried without counting.
 */
function handlerFailure(error: unknown): OutboxError {
  if (isTransientDatabaseError(error)) return infrastructure(error);
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof OutboxError && INFRASTRUCTURE_CODES.has(current.code)) return current;
    if (current instanceof EventsError && current.retryable)
      return new OutboxError("OUTBOX_REGISTRY_UNAVAILABLE", `the handler failed: ${current.message}`, {
        cause: error,
      });
    current = current.cause;
  }
  const retryable = (error as { retryable?: unknown } | null)?.retryable !== false;
  return new OutboxError("OUTBOX_HANDLER_FAILED", `the handler failed: ${text(error)}`, {
    cause: error,
    retryable,
  });
}

function exhaustedError(last: OutboxError, attempts: number, elapsedMs: number): OutboxError {
  const seconds = (elapsedMs / 1000).toFixed(1);
  return new OutboxError(
    "OUTBOX_RETRIES_EXHAUSTED",
    `gave up after ${attempts} attempts in ${seconds} s: ${last.message}`,
    { cause: last.cause ?? last, retryable: false },
  );
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
