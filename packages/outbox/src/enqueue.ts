import {
  type DomainEvent,
  EventsError,
  encodeBody,
  keyOf,
  schemaFingerprintOf,
  topicOf,
  validateEvent,
} from "@herald/events";
import type pg from "pg";
import { OutboxError } from "./errors.js";
import { rowTraceparent } from "./tracing.js";

// The CTE records the writer's transaction id, and each row its writer's schema fingerprint (the
// relay encodes a row only with that schema) and its Avro body, encoded here with that same schema,
// so the relay only adds the registry's header. The JSON payload stays for people and tools. The relay's watermark relies on the INSERT locking the
// outbox before any id is drawn from the sequence, which Postgres does for every INSERT.
const INSERT_EVENTS = `
WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS tx_id)
INSERT INTO outbox (tx_id, aggregate_key, topic, event_type, event_id, correlation_id, traceparent, payload, schema_fingerprint, body)
SELECT tx.tx_id, e.aggregate_key, e.topic, e.event_type, e.event_id, e.correlation_id, e.traceparent, e.payload, e.fingerprint, e.body
FROM tx, unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::json[], $8::text[], $9::bytea[])
  WITH ORDINALITY AS e(aggregate_key, topic, event_type, event_id, correlation_id, traceparent, payload, fingerprint, body, n)
ORDER BY e.n`;

/**
 * Writes `event` to the outbox inside the caller's transaction: it is published if and only if
 * that transaction commits. Validates the event against its Avro schema locally; never calls the
 * registry or Kafka. Throws OUTBOX_SCHEMA_VIOLATION (nothing written) for an invalid event.
 */
export function enqueue(tx: pg.ClientBase, event: DomainEvent): Promise<void> {
  return enqueueAll(tx, [event]);
}

/** {@link enqueue} for several events, written in one statement and published in the order given. */
export async function enqueueAll(tx: pg.ClientBase, events: readonly DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  const columns: (string | Buffer)[][] = [[], [], [], [], [], [], [], [], []];
  for (const event of events) {
    let topic: string;
    let key: string;
    try {
      validateEvent(event);
      topic = topicOf(event.type);
      key = keyOf(event);
    } catch (error) {
      if (error instanceof EventsError)
        throw new OutboxError("OUTBOX_SCHEMA_VIOLATION", `not enqueued: ${error.message}`, { cause: error });
      throw error;
    }
    // The producing span: the active one when tracing records (the row and the event both carry it).
    const traceparent = rowTraceparent(event.data.metadata.traceparent);
    const data =
      traceparent === event.data.metadata.traceparent ? event.data : withTraceparent(event, traceparent);
    const { metadata } = data;
    columns[0]!.push(key);
    columns[1]!.push(topic);
    columns[2]!.push(event.type);
    columns[3]!.push(metadata.eventId);
    columns[4]!.push(metadata.correlationId);
    (columns[5] as (string | null)[]).push(traceparent);
    columns[6]!.push(JSON.stringify(data));
    columns[7]!.push(schemaFingerprintOf(event.type)!);
    // Valid by now, so encoding cannot fail.
    columns[8]!.push(encodeBody({ type: event.type, data } as DomainEvent));
  }
  try {
    await tx.query({ name: "herald-outbox-enqueue-v3", text: INSERT_EVENTS, values: columns });
  } catch (error) {
    const pgError = error as { code?: string; message?: string };
    if (pgError.code === "23514" && /no partition/.test(pgError.message ?? ""))
      throw new OutboxError(
        "OUTBOX_NO_PARTITION",
        "the outbox has no partition for new rows: run a relay, whose maintenance adds partitions ahead of use",
        { cause: error },
      );
    throw error;
  }
}

function withTraceparent(event: DomainEvent, traceparent: string | null): DomainEvent["data"] {
  return { ...event.data, metadata: { ...event.data.metadata, traceparent } };
}
