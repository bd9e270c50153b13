import type { Upcaster } from "@herald/events";

/**
 * The breaking changes the order's events went through, for the event store: each takes an event
 * as a build with the schema fingerprint `from` stored it to the next shape. Additive changes need
 * none (a field the writer did not have takes its default); a renamed or retyped field does. An
 * event the store cannot read into this build's shape fails with the fields it could not read.
 */
export const ORDER_UPCASTERS: readonly Upcaster[] = [];
