import type { EventData, EventType } from "./generated/types.js";

/** What flows through the system: a discriminated union on `type`; `data.metadata` is on every event. */
export type DomainEvent = { [K in EventType]: { type: K; data: EventData[K] } }[EventType];

/** The event of one type, e.g. `EventOf<"OrderPlaced">`. */
export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>;
