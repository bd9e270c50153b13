import type { Upcaster } from "@herald/events";

/**
 * The breaking changes the order's events went through, for the event store: each step takes an
 * event as a build with schema fingerprint `from` stored it to the shape of schema `to`, where the
 * next step starts. Additive changes need none (a field the writer did not have takes its default);
 * a renamed or retyped field does. An event the store cannot read into this build's shape fails
 * with the fields it could not read. Adding or changing one changes what a fold gives: bump
 * ORDER_FOLD_VERSION (evolve.ts) with it, so no snapshot folded by the old code is read.
 */
export const ORDER_UPCASTERS: readonly Upcaster[] = [];
