export { encodeBody, schemaFingerprintOf, validateEvent } from "./avro.js";
export { type Backoff, backoffCeiling, backoffDelay, sleep } from "./backoff.js";
export { type ConsumedEvents, consumedEvents, isOrderId } from "./consumed.js";
export { EventsError, type EventsErrorCode } from "./errors.js";
export type { DomainEvent, EventOf } from "./events.js";
export { EVENT_SCHEMAS, type EventSchema } from "./generated/schemas.js";
export * from "./generated/types.js";
export { type ErrorDetail, HeraldError, type HeraldErrorOptions } from "./herald-error.js";
export { createMetadata, type MetadataInput } from "./metadata.js";
export { createEventSerde, type EventSerde, type EventSerdeOptions } from "./serde.js";
export {
  fullNameOf,
  keyOf,
  subjectOf,
  TOPICS,
  type TopicName,
  type TopicSpec,
  topicOf,
} from "./topics.js";
export { type Upcaster, upcastEventData } from "./upcast.js";
