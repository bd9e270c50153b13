import { type DomainEvent, type TopicName, topicOf } from "@herald/events";
import type pg from "pg";
import type { Logger } from "pino";
import { SAGA_EVENT_TYPES, type SagaEvent } from "./domain.js";
import type { OrderHandler } from "./handler.js";
import type { SagaObserver } from "./saga-metrics.js";

/** The topics carrying the events the order saga reacts to. */
export const SAGA_TOPICS: readonly TopicName[] = [...new Set(SAGA_EVENT_TYPES.map(topicOf))];

const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;
const sagaTypes: ReadonlySet<string> = new Set(SAGA_EVENT_TYPES);

function isSagaEvent(event: DomainEvent): event is SagaEvent {
  return sagaTypes.has(event.type);
}

/**
 * The consumer's handler: runs the saga reaction of an inventory or payment event in the
 * consumer's transaction (inbox entry, order events, outbox rows and view commit together).
 * Other events on those topics, and events about orders this service never placed, are skipped.
 */
export function createSagaHandler(handler: OrderHandler, logger: Logger, observe?: SagaObserver) {
  return async (event: DomainEvent, tx: pg.ClientBase): Promise<void> => {
    if (!isSagaEvent(event)) return;
    const log = logger.child({
      orderId: event.data.orderId,
      eventId: event.data.metadata.eventId,
      correlationId: event.data.metadata.correlationId,
    });
    // Order ids are UUIDs here; anything else cannot be one of ours.
    if (!UUID.test(event.data.orderId)) {
      log.warn({ type: event.type }, "skipped an event about an order id this service never issues");
      return;
    }
    const { state, events } = await handler.react(event, tx);
    observe?.(state, events);
    if (events.length > 0)
      log.info(
        { type: event.type, emitted: events.map((e) => e.type), status: state?.status },
        "saga reacted",
      );
    else log.debug({ type: event.type, status: state?.status ?? "unknown" }, "saga had nothing to do");
  };
}
