import type { DomainEvent, EventOf } from "./events.js";
import type { EventType } from "./generated/types.js";
import { type TopicName, topicOf } from "./topics.js";

const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;

/** Whether `id` can be an order of this system: the Order service issues UUIDs and nothing else. */
export function isOrderId(id: string): boolean {
  return UUID.test(id);
}

/** The events a service reacts to, from their types: the topics that carry them and a guard for them. */
export interface ConsumedEvents<T extends EventType> {
  /** Each topic once, in the order of the types' first mention. */
  readonly topics: readonly TopicName[];
  /** Whether `event` is one of the types (the topics carry others too). */
  has(event: DomainEvent): event is EventOf<T>;
}

export function consumedEvents<T extends EventType>(types: readonly T[]): ConsumedEvents<T> {
  const names: ReadonlySet<string> = new Set(types);
  return {
    topics: [...new Set(types.map(topicOf))],
    has: (event): event is EventOf<T> => names.has(event.type),
  };
}
