import type { DomainEvent, TopicName } from "@herald/events";

/** An outbox row as the relay reads it. */
export interface Row {
  id: string;
  bucket: number;
  topic: TopicName;
  aggregate_key: string;
  event_type: DomainEvent["type"];
  event_id: string;
  correlation_id: string;
  traceparent: string | null;
  /**
   * The JSON payload, read only for a row the relay encodes itself: one without a body (written
   * before bodies were stored) or without a writer's fingerprint.
   */
  payload: DomainEvent["data"] | null;
  /** The Avro body its writer encoded with its schema; null for rows written before. */
  body: Buffer | null;
  schema_fingerprint: string | null;
  written_ms: number;
}

/** A read of up to a batch of rows after the `from` cursors, no further than `upper`. */
export interface PendingRead {
  readonly from: ReadonlyMap<number, bigint>;
  readonly upper: bigint;
  readonly rows: Promise<Row[]>;
}
