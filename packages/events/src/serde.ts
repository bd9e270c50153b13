import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import { avroTypeOf, eventTypeOf, invalidPaths, violation } from "./avro.js";
import { EventsError, type EventsErrorCode } from "./errors.js";
import type { DomainEvent } from "./events.js";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import { EVENT_TYPES, type EventType } from "./generated/types.js";
import { subjectOf } from "./topics.js";

/** Turns events into Kafka message values and back, through the schema registry. */
export interface EventSerde {
  /** Registers every event schema under its subject (in `lookup` mode: finds every id); idempotent. */
  register(): Promise<void>;
  /** The Confluent wire format (magic byte 0, schema id, Avro body); the id is looked up once per subject. */
  encode(event: DomainEvent): Promise<Buffer>;
  /** Reads any registered version of one of our events into this build's types; writer schemas are cached by id. */
  decode(bytes: Buffer): Promise<DomainEvent>;
  /**
   * The wire format of an Avro body written with this build's schema of `type` (`encodeBody`): the
   * header only is added, the id looked up once per subject as for `encode`.
   */
  frame?(type: EventType, body: Buffer): Promise<Buffer>;
}

export interface EventSerdeOptions {
  /** Confluent-API base URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  registryUrl: string;
  /**
   * `register` (default) registers a schema the registry lacks; `lookup` only finds the id of a
   * schema registered before (by `npm run schemas:register`, a deploy step), so a service never
   * writes to the registry: what production runs.
   */
  schemas?: "register" | "lookup";
}

/** The serde over a Confluent-API schema registry, via `@kafkajs/confluent-schema-registry`. */
export function createEventSerde(options: EventSerdeOptions): EventSerde {
  return createSerde(createRegistryStore(options.registryUrl, options.schemas));
}

/** What the serde needs from a registry: the seam unit tests fill with an in-memory one. */
export interface SchemaStore {
  /** Registers `schema` under `subject` (idempotent) and returns its id. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema with this id, parsed. */
  writerType(id: number): Promise<avro.Type>;
}

interface Reader {
  readonly type: EventType;
  /** Reads the Avro body that starts at `HEADER_BYTES` and ends with `framed`. */
  read(framed: Buffer): unknown;
}

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** Where events are encoded before their exact size is known: grown when one does not fit. */
const SCRATCH_BYTES = 16 * 1024;

/**
 * The body of `framed` read as `type` (through `resolver` when the writer's schema differs), in
 * place: slicing the body off first allocates a Buffer per message, which costs about as much as
 * decoding a small event.
 */
function readBody(type: avro.Type, framed: Buffer, resolver?: avro.Resolver): unknown {
  const { value, offset } = type.decode(framed, HEADER_BYTES, resolver);
  if (offset < 0) throw new Error("truncated buffer");
  if (offset < framed.length) throw new Error("trailing data");
  return value;
}

export function createSerde(
  store: SchemaStore,
  subjectFor: (type: EventType) => string = subjectOf,
): EventSerde {
  const ids = new Map<EventType, number>();
  const pendingIds = new Map<EventType, Promise<number>>();
  const readers = new Map<number, Reader>();
  const pendingReaders = new Map<number, Promise<Reader>>();
  let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  scratch[0] = MAGIC_BYTE;
  // The schema id the scratch header holds: events of one type in a row share their header.
  let scratchId = -1;

  // Concurrent first uses share one registry call; failures are not cached, so a later call retries.
  function idOf(type: EventType): Promise<number> {
    let pending = pendingIds.get(type);
    if (!pending) {
      pending = store
        .register(subjectFor(type), JSON.stringify(EVENT_SCHEMAS[type].schema))
        .then((id) => {
          ids.set(type, id);
          // The id names exactly this build's schema, so reading it needs no registry call either.
          if (!readers.has(id)) {
            const local = avroTypeOf(type);
            readers.set(id, { type, read: (framed) => readBody(local, framed) });
          }
          return id;
        })
        .finally(() => pendingIds.delete(type));
      pendingIds.set(type, pending);
    }
    return pending;
  }

  function readerOf(id: number): Promise<Reader> {
    let pending = pendingReaders.get(id);
    if (!pending) {
      pending = createReader(store, id)
        .then((reader) => {
          readers.set(id, reader);
          return reader;
        })
        .finally(() => pendingReaders.delete(id));
      pendingReaders.set(id, pending);
    }
    return pending;
  }

  return {
    async register() {
      await Promise.all(EVENT_TYPES.map((type) => ids.get(type) ?? idOf(type)));
    },

    async encode(event) {
      if (typeof event !== "object" || event === null)
        throw new EventsError("EVENTS_SCHEMA_VIOLATION", "an event is an object { type, data }");
      const type = avroTypeOf(event.type);
      let id = ids.get(event.type);
      if (id === undefined) {
        // A bad event fails as such before any registry call, as it does once the id is cached.
        const paths = invalidPaths(type, event.data);
        if (paths.length > 0) throw violation(event.type, paths);
        id = await idOf(event.type);
      }
      // Header and body go into the scratch buffer, then out in one copy of the exact size: one
      // allocation per event (toBuffer and a framed copy of it would be two).
      let end: number;
      try {
        end = type.encode(event.data, scratch, HEADER_BYTES);
        if (end < 0) {
          scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
          scratch[0] = MAGIC_BYTE;
          scratchId = -1;
          end = type.encode(event.data, scratch, HEADER_BYTES);
        }
      } catch (error) {
        const paths = invalidPaths(type, event.data);
        throw violation(event.type, paths.length ? paths : [(error as Error).message], error);
      }
      if (id !== scratchId) {
        scratch.writeInt32BE(id, 1);
        scratchId = id;
      }
      const bytes = Buffer.allocUnsafe(end);
      scratch.copy(bytes, 0, 0, end);
      return bytes;
    },

    async frame(type, body) {
      avroTypeOf(type);
      const id = ids.get(type) ?? (await idOf(type));
      const bytes = Buffer.allocUnsafe(HEADER_BYTES + body.length);
      bytes[0] = MAGIC_BYTE;
      bytes.writeInt32BE(id, 1);
      body.copy(bytes, HEADER_BYTES);
      return bytes;
    },

    async decode(input: Buffer | Uint8Array) {
      const bytes = Buffer.isBuffer(input)
        ? input
        : input instanceof Uint8Array
          ? Buffer.from(input.buffer, input.byteOffset, input.byteLength)
          : undefined;
      if (!bytes || bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE)
        throw new EventsError(
          "EVENTS_MALFORMED_PAYLOAD",
          "not a schema-registry framed message (expected magic byte 0 and a 4-byte schema id)",
        );
      const id = bytes.readInt32BE(1);
      const reader = readers.get(id) ?? (await readerOf(id));
      try {
        return { type: reader.type, data: reader.read(bytes) } as DomainEvent;
      } catch (error) {
        throw new EventsError(
          "EVENTS_MALFORMED_PAYLOAD",
          `the body is not a ${reader.type} written with schema ${id}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
  };
}

async function createReader(store: SchemaStore, id: number): Promise<Reader> {
  const writer = await store.writerType(id);
  const type = writer.typeName === "record" ? eventTypeOf(writer.name) : undefined;
  if (!type)
    throw new EventsError(
      "EVENTS_UNKNOWN_EVENT_TYPE",
      `schema ${id} is ${writer.name ?? writer.typeName}, not one of Herald's events`,
    );
  const local = avroTypeOf(type);
  if (local.equals(writer)) return { type, read: (framed) => readBody(local, framed) };
  let resolver: avro.Resolver;
  try {
    resolver = local.createResolver(writer);
  } catch (error) {
    throw new EventsError(
      "EVENTS_INCOMPATIBLE_SCHEMA",
      `schema ${id} (${writer.name}) cannot be read as this build's ${type}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { type, read: (framed) => readBody(local, framed, resolver) };
}

/** The registry through `@kafkajs/confluent-schema-registry`, its failures as `EventsError`s. */
export function createRegistryStore(url: string, schemas: "register" | "lookup" = "register"): SchemaStore {
  const registry = new SchemaRegistry({ host: url, clientId: "herald-events" });
  return {
    async register(subject, schema) {
      if (schemas === "lookup") {
        try {
          return await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema });
        } catch (error) {
          throw registryError(
            error,
            `looking up ${subject} (schemas are registered by the deploy step: npm run schemas:register)`,
            "EVENTS_UNKNOWN_SCHEMA",
          );
        }
      }
      try {
        return (await registry.register({ type: SchemaType.AVRO, schema }, { subject })).id;
      } catch (error) {
        throw registryError(error, `registering ${subject}`, "EVENTS_REGISTRY_REJECTED");
      }
    },
    async writerType(id) {
      let found: unknown;
      try {
        found = await registry.getSchema(id);
      } catch (error) {
        throw registryError(error, `fetching schema ${id}`, "EVENTS_UNKNOWN_SCHEMA");
      }
      if (found instanceof avro.Type) return found;
      // A schema the client parsed with another copy of avsc, or not Avro at all.
      const exported =
        typeof found === "object" && found !== null ? (found as { schema?: unknown }).schema : undefined;
      if (typeof exported !== "function")
        throw new EventsError("EVENTS_UNKNOWN_EVENT_TYPE", `schema ${id} is not an Avro schema`);
      return avro.Type.forSchema((exported as () => avro.Schema).call(found));
    },
  };
}

const NETWORK_FAILURE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)\b|socket hang up|timeout/i;

/**
 * The client reports HTTP failures as errors with a `status`; it reports connection failures as
 * status 400 too, so those are told apart by their message.
 */
function registryError(error: unknown, action: string, notFound: EventsErrorCode): EventsError {
  if (error instanceof EventsError) return error;
  const { name, status, message } = error as { name?: string; status?: number; message?: string };
  const text = `${action}: ${message ?? String(error)}`;
  return new EventsError(codeOf(name, status, text, notFound), text, { cause: error });
}

function codeOf(
  name: string | undefined,
  status: number | undefined,
  text: string,
  notFound: EventsErrorCode,
) {
  // The subject is configured with another compatibility level than the client asks for.
  if (name === "ConfluentSchemaRegistryCompatibilityError") return "EVENTS_REGISTRY_REJECTED";
  if (status === 404) return notFound;
  if (status === 409) return "EVENTS_INCOMPATIBLE_SCHEMA";
  if (status === 422) return "EVENTS_INVALID_SCHEMA";
  if (status !== undefined && (status >= 500 || status === 408 || status === 429))
    return "EVENTS_REGISTRY_UNAVAILABLE";
  if (NETWORK_FAILURE.test(text)) return "EVENTS_REGISTRY_UNAVAILABLE";
  return "EVENTS_REGISTRY_REJECTED";
}
