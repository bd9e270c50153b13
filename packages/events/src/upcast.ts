import type avro from "avsc";
import { avroTypeOf, invalidPaths, schemaFingerprintOf, violation } from "./avro.js";
import type { EventData, EventType } from "./generated/types.js";
import type { RecordType } from "./schema-loader.js";

/**
 * One step of a breaking change for data stored as JSON: takes the data of an event as a build
 * with schema `from` shaped it, and returns it as schema `to` expects it (e.g. a retyped field).
 * Both are schema fingerprints ({@link schemaFingerprintOf}) of the event type in those builds.
 */
export interface Upcaster {
  readonly type: EventType;
  readonly from: string;
  readonly to: string;
  upcast(data: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Reads event data that another build stored as JSON (an event store, an outbox row) into this
 * build's shape. `writerFingerprint` is the fingerprint of the writer's schema, `null` when the
 * writer did not record one. When it is this build's own the data is returned as it is; otherwise
 * the upcasters run first, from the writer's schema on, one step to the next, and then the data is resolved as Avro
 * resolves a writer's record: a field the writer did not have takes its default, a field renamed
 * with an alias is read from its old name, and a field this build no longer has is dropped.
 * Data that still does not fit this build's schema is an `EVENTS_SCHEMA_VIOLATION` naming its
 * fields: that change needs an upcaster.
 */
export function upcastEventData<K extends EventType>(
  type: K,
  data: unknown,
  writerFingerprint: string | null,
  upcasters: readonly Upcaster[] = [],
): EventData[K] {
  if (writerFingerprint === schemaFingerprintOf(type)) return data as EventData[K];
  let current = data as Record<string, unknown>;
  // The chain of steps from the writer's schema on: each step's `to` is where the next one starts.
  let at = writerFingerprint;
  for (let step = next(at); step; step = next(at)) {
    current = step.upcast(current);
    at = step.to;
  }
  function next(from: string | null): Upcaster | undefined {
    return from === null ? undefined : upcasters.find((step) => step.type === type && step.from === from);
  }
  const reader = avroTypeOf(type);
  const resolved = resolve(reader, current);
  const problems = invalidPaths(reader, resolved);
  if (problems.length > 0)
    throw violation(type, [
      `stored by a build with schema ${writerFingerprint ?? "(unrecorded)"}, which this build cannot read without an upcaster: ${problems.join("; ")}`,
    ]);
  return resolved as EventData[K];
}

/** `value` read with `reader`, as Avro schema resolution reads a record written with another schema. */
function resolve(reader: avro.Type, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (reader.typeName) {
    case "record":
    case "error": {
      if (typeof value !== "object" || Array.isArray(value)) return value;
      const written = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const field of (reader as RecordType).fields) {
        const name = [field.name, ...field.aliases].find((candidate) => Object.hasOwn(written, candidate));
        out[field.name] = name === undefined ? field.defaultValue() : resolve(field.type, written[name]);
      }
      return out;
    }
    case "array": {
      const items = (reader as avro.Type & { itemsType: avro.Type }).itemsType;
      return Array.isArray(value) ? value.map((item) => resolve(items, item)) : value;
    }
    case "map": {
      const values = (reader as avro.Type & { valuesType: avro.Type }).valuesType;
      if (typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(values, item)]));
    }
    case "union:unwrapped": {
      // Herald's unions are ["null", T]: a value that is not null is read as T.
      const branch = (reader as avro.Type & { types: avro.Type[] }).types.find((t) => t.typeName !== "null");
      return branch ? resolve(branch, value) : value;
    }
    case "enum": {
      // An enum's catch-all default stands for a symbol this build does not know.
      const { symbols, default: fallback } = reader as avro.Type & { symbols: string[]; default?: string };
      return typeof value === "string" && !symbols.includes(value) && fallback !== undefined
        ? fallback
        : value;
    }
    default:
      return value;
  }
}
