import avro from "avsc";
import { EventsError } from "./errors.js";
import type { DomainEvent } from "./events.js";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import { EVENT_TYPES, type EventType } from "./generated/types.js";

const types = new Map<EventType, avro.Type>();
const byFullName = new Map<string, EventType>(
  EVENT_TYPES.map((type) => [EVENT_SCHEMAS[type].fullName, type]),
);

/** This build's Avro type of an event (parsed once; no logical-type hooks, so timestamps stay numbers). */
export function avroTypeOf(type: EventType): avro.Type {
  let parsed = types.get(type);
  if (!parsed) {
    if (!Object.hasOwn(EVENT_SCHEMAS, type))
      throw new EventsError("EVENTS_UNKNOWN_EVENT_TYPE", `"${String(type)}" is not a Herald event`);
    parsed = avro.Type.forSchema(EVENT_SCHEMAS[type].schema);
    types.set(type, parsed);
  }
  return parsed;
}

/** The event type a record's full name (`herald.order.OrderPlaced`) belongs to, if it is one of ours. */
export function eventTypeOf(fullName: string | undefined): EventType | undefined {
  return fullName === undefined ? undefined : byFullName.get(fullName);
}

/**
 * Checks an event against its Avro schema locally (no registry), so a bad event fails where it is made.
 * Throws `EVENTS_SCHEMA_VIOLATION` naming every offending field, or `EVENTS_UNKNOWN_EVENT_TYPE`.
 */
export function validateEvent(event: DomainEvent): void {
  if (typeof event !== "object" || event === null)
    throw new EventsError("EVENTS_SCHEMA_VIOLATION", "an event is an object { type, data }");
  const type = avroTypeOf(event.type);
  const problems = invalidPaths(type, event.data);
  if (problems.length > 0) throw violation(event.type, problems);
}

/**
 * The Avro body of `event` (binary encoding, no framing) with this build's schema of its type, what
 * a writer stores at enqueue so the relay only adds the registry's header. Validate it first.
 */
export function encodeBody(event: DomainEvent): Buffer {
  return avroTypeOf(event.type).toBuffer(event.data);
}

/** The fields of `value` that do not fit `type`, as `path: expected type` (values left out: they may be personal). */
export function invalidPaths(type: avro.Type, value: unknown): string[] {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], _value: unknown, expected: avro.Type) =>
      problems.push(`${path.length ? path.join(".") : "(data)"}: expected ${describe(expected)}`),
  });
  return problems;
}

export function violation(type: EventType, problems: readonly string[], cause?: unknown): EventsError {
  return new EventsError(
    "EVENTS_SCHEMA_VIOLATION",
    `${String(type)} does not match its schema: ${problems.join("; ")}`,
    cause === undefined ? undefined : { cause },
  );
}

function describe(type: avro.Type): string {
  if (type.name) return type.name;
  const t = type as avro.Type & { types?: avro.Type[]; itemsType?: avro.Type };
  if (t.types) return t.types.map(describe).join(" | ");
  if (t.itemsType) return `array of ${describe(t.itemsType)}`;
  return type.typeName;
}

const fingerprints = new Map<string, string>();

/**
 * A short fingerprint (SHA-256 of the Parsing Canonical Form, first 16 hex digits) of this build's
 * schema for `type`, or undefined for a type this build does not know. The canonical form fixes the
 * binary encoding, so two builds with the same fingerprint encode an event identically: an outbox
 * row records its writer's, and a relay encodes it only when its own is the same.
 */
export function schemaFingerprintOf(type: string): string | undefined {
  if (!Object.hasOwn(EVENT_SCHEMAS, type)) return undefined;
  let fingerprint = fingerprints.get(type);
  if (!fingerprint) {
    fingerprint = avroTypeOf(type as EventType)
      .fingerprint("sha256")
      .toString("hex")
      .slice(0, 16);
    fingerprints.set(type, fingerprint);
  }
  return fingerprint;
}
