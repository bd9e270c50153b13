import type { DomainEvent, EventSerde, TopicName } from "@herald/events";
import type { ConsumerConfig, Kafka } from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import type { OutboxError } from "../errors.js";
import type { Backoff } from "../retry.js";

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
   * A chunk (the messages of a batch sharing one transaction, at most 100) takes no new message once
   * its handlers have run this long: the transaction holds their locks, and what they enqueue is
   * published only at its commit. Default 50 ms.
   */
  readonly chunkBudgetMs?: number;
  /**
   * How long handled event ids are remembered for deduplication; older ones are purged hourly.
   * Keep it at least as long as the topics' retention. Default 7 days.
   */
  readonly inboxRetentionMs?: number;
  /** Passed to kafkajs (session timeout, heartbeat interval, ...); `maxWaitTimeInMs` defaults to 1 s. */
  readonly consumerConfig?: Omit<ConsumerConfig, "groupId">;
}
