import { HeraldError } from "./herald-error.js";

export type EventsErrorCode =
  /** An event does not match its Avro schema (missing field, wrong type, out-of-range number). */
  | "EVENTS_SCHEMA_VIOLATION"
  /** Bytes that are not a Confluent-framed Avro record of the schema they name. */
  | "EVENTS_MALFORMED_PAYLOAD"
  /** The registry has no schema with the id a message names. */
  | "EVENTS_UNKNOWN_SCHEMA"
  /** A type name, or a registered record name, that is not one of Herald's events. */
  | "EVENTS_UNKNOWN_EVENT_TYPE"
  /** The registry refused a schema version, or a writer's schema cannot be read with ours. */
  | "EVENTS_INCOMPATIBLE_SCHEMA"
  /** A schema file is not valid Avro or breaks the conventions of `schemas/`. */
  | "EVENTS_INVALID_SCHEMA"
  /** The registry could not be reached or failed on its side; retrying can help. */
  | "EVENTS_REGISTRY_UNAVAILABLE"
  /** The registry answered with an error retrying will not fix. */
  | "EVENTS_REGISTRY_REJECTED";

/** Every failure of `@herald/events`; `code` says what happened, `retryable` whether trying again can help. */
export class EventsError extends HeraldError<EventsErrorCode> {
  constructor(code: EventsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === "EVENTS_REGISTRY_UNAVAILABLE" });
  }
}
