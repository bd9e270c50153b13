import type { EventSerde, TopicName } from "@herald/events";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import { errorMessage, OutboxError } from "../errors.js";
import { type RelayMetrics, relayMetrics } from "../metrics.js";
import type { Backoff } from "../retry.js";
import { Wakeup } from "../wakeup.js";
import type { RelayHooks, RelayOptions } from "./types.js";

/** The relay's options with their defaults, checked once. */
export interface RelaySettings {
  readonly batchSize: number;
  readonly poll: { readonly min: number; readonly max: number };
  /** Longest wait for a notification of new rows before an idle relay looks anyway. */
  readonly fallbackPollMs: number;
  readonly rebalanceIntervalMs: number;
  readonly maintenanceIntervalMs: number;
  readonly partitionSize: number;
  readonly partitionsAhead: number;
  readonly retry: Backoff;
  readonly topicName: (topic: TopicName) => string;
}

/** What the parts of one relay share: its dependencies, its settings, and the state that outlives a session. */
export interface RelayContext {
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  readonly hooks: RelayHooks;
  readonly metrics: RelayMetrics;
  readonly settings: RelaySettings;
  /**
   * The highest id any session of this relay saw handed out: a lower one later means the sequence
   * went back, even when it is first seen through a new session.
   */
  highestIssued: bigint;
  /** Database clock minus ours, so write times from Postgres compare with acknowledgement times here. */
  clockOffsetMs: number;
  /** Woken by the outbox's notifications (each committed insert), received on the session's connection. */
  readonly wakeup: Wakeup;
}

export function createRelayContext(options: RelayOptions): RelayContext {
  const settings: RelaySettings = Object.freeze({
    batchSize: positive("batchSize", options.batchSize ?? 500),
    poll: options.pollIntervalMs ?? { min: 1, max: 25 },
    fallbackPollMs: positive("fallbackPollMs", options.fallbackPollMs ?? 1_000),
    rebalanceIntervalMs: positive("rebalanceIntervalMs", options.rebalanceIntervalMs ?? 2_000),
    maintenanceIntervalMs: positive("maintenanceIntervalMs", options.maintenanceIntervalMs ?? 5_000),
    partitionSize: positive("partitionSize", options.partitionSize ?? 100_000),
    partitionsAhead: positive("partitionsAhead", options.partitionsAhead ?? 3),
    retry: options.retry ?? { initialMs: 100, maxMs: 5_000 },
    topicName: options.topicName ?? ((topic: TopicName) => topic),
  });
  return {
    pool: options.pool,
    kafka: options.kafka,
    serde: options.serde,
    hooks: options.hooks ?? {},
    metrics: relayMetrics(options.metrics),
    settings,
    highestIssued: -1n,
    clockOffsetMs: 0,
    wakeup: new Wakeup(),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", `${name} must be a positive number, got ${value}`);
  return value;
}

export function databaseError(what: string, error: unknown): OutboxError {
  if (error instanceof OutboxError) return error;
  return new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `${what}: ${errorMessage(error)}`, { cause: error });
}
