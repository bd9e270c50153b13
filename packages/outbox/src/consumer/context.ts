import type { DomainEvent, EventSerde } from "@herald/events";
import type { ConsumerConfig, Kafka } from "kafkajs";
import type pg from "pg";
import { OutboxError } from "../errors.js";
import { DEFAULT_INBOX_RETENTION_MS } from "../inbox.js";
import { consumerMetrics } from "../metrics.js";
import type { Backoff } from "../retry.js";
import { ConsumerMonitor } from "./health.js";
import type { ConsumerOptions } from "./types.js";

/** A minute of retries rides out a deploy of a dependency or a failover, yet stops a poison message soon. */
const DEFAULT_RETRY_BUDGET_MS = 60_000;
const DEFAULT_CHUNK_BUDGET_MS = 50;

/** The consumer's options with their defaults, checked once. */
export interface ConsumerSettings {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly maxAttempts: number;
  readonly retryBudgetMs: number;
  readonly retry: Backoff;
  readonly deadLetterTopic: string;
  readonly inboxRetentionMs: number;
  readonly fromBeginning: boolean;
  readonly partitionsConsumedConcurrently: number;
  readonly chunkBudgetMs: number;
  readonly consumerConfig: Omit<ConsumerConfig, "groupId"> | undefined;
}

/** What the parts of one consumer share. */
export interface ConsumerContext {
  readonly kafka: Kafka;
  readonly pool: pg.Pool;
  readonly serde: EventSerde;
  readonly handle: (event: DomainEvent, tx: pg.ClientBase) => Promise<void>;
  readonly settings: ConsumerSettings;
  readonly monitor: ConsumerMonitor;
  /** Aborted by stop(), which cuts retries and backoffs short; a new one per start. */
  stopping: AbortController;
}

export function createConsumerContext(options: ConsumerOptions): ConsumerContext {
  const { groupId } = options;
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
  const metrics = consumerMetrics(options.metrics);
  const inboxRetentionMs = options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS;
  if (!(inboxRetentionMs > 0))
    throw new OutboxError(
      "OUTBOX_INVALID_OPTIONS",
      `inboxRetentionMs must be positive, got ${inboxRetentionMs}`,
    );
  const chunkBudgetMs = options.chunkBudgetMs ?? DEFAULT_CHUNK_BUDGET_MS;
  if (!(chunkBudgetMs > 0))
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", `chunkBudgetMs must be positive, got ${chunkBudgetMs}`);
  const settings: ConsumerSettings = Object.freeze({
    groupId,
    topics: [...options.topics],
    maxAttempts,
    retryBudgetMs,
    retry: options.retry ?? { initialMs: 200, maxMs: 10_000 },
    deadLetterTopic: options.deadLetterTopic ?? `${groupId}.dlq`,
    inboxRetentionMs,
    fromBeginning: options.fromBeginning ?? true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    chunkBudgetMs,
    consumerConfig: options.consumerConfig,
  });
  return {
    kafka: options.kafka,
    pool: options.pool,
    serde: options.serde,
    handle: (event, tx) => options.handle(event, tx),
    settings,
    monitor: new ConsumerMonitor(groupId, options.hooks ?? {}, metrics),
    stopping: new AbortController(),
  };
}
