import { randomUUID } from "node:crypto";
import type { Metadata } from "./generated/types.js";

export interface MetadataInput {
  /** The service producing the event. */
  producer: string;
  /** The event being handled, if any: its correlation is carried over and its id becomes the causation. */
  cause?: Metadata | undefined;
  /** The saga id when there is no cause (e.g. from the request); defaults to the new event's id. */
  correlationId?: string;
  /** The current span's traceparent; defaults to the cause's. */
  traceparent?: string | null;
  now?: Date;
}

/**
 * Metadata for a new event: a fresh UUID v4 event id; the correlation id of the cause (or the one
 * given, or the new event's own id, which starts a saga); the cause's event id as causation.
 */
export function createMetadata(input: MetadataInput): Metadata {
  const eventId = randomUUID();
  const { cause } = input;
  return {
    eventId,
    occurredAt: (input.now ?? new Date()).getTime(),
    correlationId: cause?.correlationId ?? input.correlationId ?? eventId,
    causationId: cause?.eventId ?? null,
    producer: input.producer,
    traceparent: input.traceparent !== undefined ? input.traceparent : (cause?.traceparent ?? null),
  };
}
