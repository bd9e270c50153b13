import { type DomainEvent, type EventSerde, EventsError } from "@herald/events";
import type { KafkaMessage } from "kafkajs";
import { errorMessage, OutboxError } from "../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The message's event; `OUTBOX_UNDECODABLE_MESSAGE` (retryable only if the registry was unreachable) otherwise. */
export async function decode(serde: EventSerde, message: KafkaMessage): Promise<DomainEvent> {
  if (!message.value || message.value.length === 0)
    throw new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", "the message has no value", { retryable: false });
  let event: DomainEvent;
  try {
    event = await serde.decode(message.value);
  } catch (error) {
    const retryable = error instanceof EventsError && error.retryable;
    throw new OutboxError(
      "OUTBOX_UNDECODABLE_MESSAGE",
      `could not decode the message: ${errorMessage(error)}`,
      { cause: error, retryable },
    );
  }
  if (!UUID.test(event.data.metadata.eventId))
    throw new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", "the event's metadata.eventId is not a UUID", {
      retryable: false,
    });
  return event;
}
