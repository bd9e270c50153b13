import type { EventSerde, TopicName } from "@herald/events";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import type { OutboxError, OutboxErrorCode } from "../errors.js";
import type { Backoff } from "../retry.js";

export interface Relay {
  start(): Promise<void>;
  /** Finishes the batch in flight, saves its progress, releases its buckets and disconnects. */
  stop(): Promise<void>;
}

/** One event Kafka acknowledged. */
export interface PublishedEvent {
  readonly eventId: string;
  readonly eventType: string;
  /** The Kafka topic it went to. */
  readonly topic: string;
  readonly key: string;
  readonly correlationId: string;
  /** When its outbox row was written, in epoch milliseconds of this process's clock. */
  readonly writtenAt: number;
}

/** Observers for logging; they run synchronously inside the relay, so keep them cheap. */
export interface RelayHooks {
  /** A batch was acknowledged by Kafka (before its progress is saved: a crash now republishes it). */
  published?(batch: { readonly events: readonly PublishedEvent[]; readonly ackedAt: number }): void;
  /** A cycle failed; the relay backs off and retries. */
  error?(error: OutboxError): void;
  /** The set of buckets this relay publishes changed (after start, rebalancing, or a lost connection). */
  bucketsChanged?(buckets: readonly number[]): void;
  /**
   * A row can never be encoded by this relay (unknown event type, another writer schema, a payload
   * its schema refuses): its aggregate is parked, its later rows wait, other aggregates flow. An
   * operator lists and releases parks with `listParked` / `releaseParked`.
   */
  parked?(park: ParkedRow): void;
  /** A parked aggregate flows again: its row was published after a retry, or skipped by an operator. */
  unparked?(release: { readonly aggregateKey: string; readonly resolution: "published" | "skipped" }): void;
  /** The id sequence came back lower than before (e.g. a failover lost its state): these buckets publish again from the start of what the outbox holds. */
  rewound?(rewind: { readonly buckets: readonly number[]; readonly issued: string }): void;
  /** A maintenance pass changed the partitions. */
  maintained?(result: { readonly created: number; readonly dropped: number; readonly backlog: number }): void;
}

/** A row the relay parked, with why. */
export interface ParkedRow {
  readonly aggregateKey: string;
  readonly outboxId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly code: Extract<OutboxErrorCode, "OUTBOX_UNENCODABLE_ROW">;
  readonly reason: string;
}

export interface RelayOptions {
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  readonly metrics?: Registry;
  readonly hooks?: RelayHooks;
  /** Maps a contract topic to the Kafka topic to write (e.g. to prefix per environment). Default: itself. */
  readonly topicName?: (topic: TopicName) => string;
  /** Most rows read and sent per cycle. Default 500. */
  readonly batchSize?: number;
  /**
   * Wait between looks while rows wait for their writers' transactions to end (a writer that rolls
   * back sends no notification): grows from `min` to `max`, at most 4 ms. Default 1–25 ms.
   */
  readonly pollIntervalMs?: { readonly min: number; readonly max: number };
  /**
   * An idle relay waits for the outbox's notification (sent by a trigger when an insert commits);
   * it looks anyway after this long, and when re-balancing is due. Default 1 s.
   */
  readonly fallbackPollMs?: number;
  /** How often a relay re-balances buckets with the others. Default 2 s. */
  readonly rebalanceIntervalMs?: number;
  /** How often partitions are maintained and the backlog gauge measured. Default 5 s. */
  readonly maintenanceIntervalMs?: number;
  /** Ids per new partition. Default 100,000. */
  readonly partitionSize?: number;
  /** Partitions kept ready beyond the highest id handed out. Default 3. */
  readonly partitionsAhead?: number;
  /** Backoff after a failed cycle (database, Kafka or registry down). Default 100 ms to 5 s. */
  readonly retry?: Backoff;
}
