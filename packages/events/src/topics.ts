import { EventsError } from "./errors.js";
import type { DomainEvent } from "./events.js";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import type { EventType } from "./generated/types.js";

export type TopicName = "orders" | "inventory" | "payments" | "notifications" | "analytics";

export interface TopicSpec {
  readonly name: TopicName;
  /** The only service that produces to the topic: its events' namespace is `herald.<writer>`. */
  readonly writer: string;
  readonly events: readonly EventType[];
}

/**
 * Where each event travels. Events of one order share a topic and its key, so their order holds;
 * several event types share a topic, one subject each (`<topic>-<full record name>`).
 */
export const TOPICS = Object.freeze({
  orders: topic("orders", "order", ["OrderPlaced", "OrderConfirmed", "OrderCancelled"]),
  inventory: topic("inventory", "inventory", [
    "InventoryReserved",
    "InventoryReservationFailed",
    "InventoryReleased",
  ]),
  payments: topic("payments", "payment", ["PaymentProcessed", "PaymentFailed", "PaymentRefunded"]),
  notifications: topic("notifications", "email", ["EmailSent", "EmailFailed"]),
  analytics: topic("analytics", "analytics", ["SalesPeriodSummarized"]),
}) satisfies Readonly<Record<TopicName, TopicSpec>>;

// Fails to compile when an event type has no topic.
type Unrouted = Exclude<EventType, (typeof TOPICS)[TopicName]["events"][number]>;
const everyEventRouted: [Unrouted] extends [never] ? true : Unrouted = true;
void everyEventRouted;

const topicByType = new Map<string, TopicName>(
  Object.values(TOPICS).flatMap((spec) => spec.events.map((type) => [type, spec.name] as const)),
);

/** The topic an event type is written to. */
export function topicOf(type: EventType): TopicName {
  const topic = topicByType.get(type);
  if (!topic) throw new EventsError("EVENTS_UNKNOWN_EVENT_TYPE", `"${String(type)}" is not a Herald event`);
  return topic;
}

/** The Avro full name of an event type, e.g. `herald.order.OrderPlaced`. */
export function fullNameOf(type: EventType): string {
  const schema = Object.hasOwn(EVENT_SCHEMAS, type) ? EVENT_SCHEMAS[type] : undefined;
  if (!schema) throw new EventsError("EVENTS_UNKNOWN_EVENT_TYPE", `"${String(type)}" is not a Herald event`);
  return schema.fullName;
}

/** The registry subject of an event type: `<topic>-<full record name>` (TopicRecordNameStrategy). */
export function subjectOf(type: EventType): string {
  return `${topicOf(type)}-${fullNameOf(type)}`;
}

/**
 * The Kafka key: the order id, so all events of an order land in one partition in order. A sales
 * summary is keyed by its period id, and so is a digest mail (it has no order).
 */
export function keyOf(event: DomainEvent): string {
  switch (event.type) {
    case "SalesPeriodSummarized":
      return event.data.periodId;
    case "EmailSent":
    case "EmailFailed":
      return event.data.orderId ?? event.data.periodId ?? event.data.metadata.eventId;
    default:
      return event.data.orderId;
  }
}

function topic<const E extends readonly EventType[]>(name: TopicName, writer: string, events: E) {
  return Object.freeze({ name, writer, events: Object.freeze(events) });
}
