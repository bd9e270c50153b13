import {
  type DomainEvent,
  type EventSerde,
  EventsError,
  type EventsErrorCode,
  schemaFingerprintOf,
} from "@herald/events";
import { errorMessage, OutboxError } from "../errors.js";
import type { Row } from "./reading.js";

/** Why a row can never be encoded by this relay. */
export interface Unencodable {
  readonly unencodable: string;
}

/** Encoding failures that trying again cannot fix; the others (the registry is down) are retried. */
const PERMANENT_ENCODE_FAILURES: ReadonlySet<EventsErrorCode> = new Set([
  "EVENTS_SCHEMA_VIOLATION",
  "EVENTS_UNKNOWN_EVENT_TYPE",
  "EVENTS_INCOMPATIBLE_SCHEMA",
  "EVENTS_INVALID_SCHEMA",
]);

/**
 * Encodes a row with its writer's schema, or says why this relay never can: a relay of an older
 * build never encodes a newer event with its own schema. A row the writer encoded (its body) is
 * only framed; a row from before bodies were stored is encoded from its JSON payload.
 */
export async function encodeRow(serde: EventSerde, row: Row): Promise<Buffer | Unencodable> {
  const own = schemaFingerprintOf(row.event_type);
  if (own === undefined) return { unencodable: `event type ${row.event_type} is unknown to this relay` };
  if (row.schema_fingerprint !== null && row.schema_fingerprint !== own)
    return {
      unencodable: `written with ${row.event_type} schema ${row.schema_fingerprint}; this relay has ${own}`,
    };
  try {
    // Written by a build with this very schema: its body only needs the registry's header.
    if (row.body !== null && row.schema_fingerprint === own && serde.frame)
      return await serde.frame(row.event_type, row.body);
    return await serde.encode({ type: row.event_type, data: row.payload } as DomainEvent);
  } catch (error) {
    if (error instanceof EventsError && PERMANENT_ENCODE_FAILURES.has(error.code))
      return { unencodable: error.message };
    throw new OutboxError("OUTBOX_ENCODE_FAILED", `could not encode outbox rows: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
