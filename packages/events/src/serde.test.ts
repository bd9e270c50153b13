import { rejectionOf } from "@herald/dev-stack/testing";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { validateEvent } from "./avro.js";
import { EventsError } from "./errors.js";
import type { DomainEvent } from "./events.js";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import { EVENT_TYPES } from "./generated/types.js";
import { createSerde, type SchemaStore } from "./serde.js";
import { sampleEvent, sampleEvents } from "./testing.js";
import { subjectOf } from "./topics.js";

/** A registry in memory: ids per (subject, schema text), counting calls. */
function memoryStore() {
  const ids = new Map<string, number>();
  const types = new Map<number, avro.Type>();
  const calls = { register: 0, writerType: 0 };
  const store: SchemaStore & { calls: typeof calls; add(schema: unknown): number } = {
    calls,
    add(schema) {
      const id = types.size + 1;
      types.set(id, avro.Type.forSchema(schema as avro.Schema));
      return id;
    },
    async register(subject, schema) {
      calls.register++;
      const key = `${subject}\n${schema}`;
      const id = ids.get(key) ?? store.add(JSON.parse(schema));
      ids.set(key, id);
      return id;
    },
    async writerType(id) {
      calls.writerType++;
      const type = types.get(id);
      if (!type) throw new EventsError("EVENTS_UNKNOWN_SCHEMA", `no schema ${id}`);
      return type;
    },
  };
  return store;
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, EventsError);

function frame(id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
}

describe("the event serde", () => {
  it.each(EVENT_TYPES)("round-trips %s", async (type) => {
    const store = memoryStore();
    const event = sampleEvent(type);
    const bytes = await createSerde(store).encode(event);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBeGreaterThan(0);
    // Another process: knows nothing but the registry.
    const decoded = await createSerde(store).decode(bytes);
    expect(decoded.type).toBe(type);
    expect(decoded).toEqual(event);
    expect(typeof decoded.data.metadata.occurredAt).toBe("number");
  });

  it("encodes each event into bytes of its own, with its own schema id, however large, one after another", async () => {
    const serde = createSerde(memoryStore());
    const small = sampleEvent("PaymentProcessed");
    const base = sampleEvent("OrderPlaced");
    // Far larger than the serde's scratch buffer: it has to grow.
    const large = sampleEvent("OrderPlaced", {
      lines: Array.from({ length: 1_000 }, (_, i) => ({
        ...base.data.lines[0]!,
        sku: `SKU-${i}-${"x".repeat(60)}`,
      })),
    });
    const first = await serde.encode(small);
    const copy = Buffer.from(first);
    const confirmed = sampleEvent("OrderConfirmed");
    const another = await serde.encode(confirmed);
    const big = await serde.encode(large);
    expect(big.length).toBeGreaterThan(32 * 1024);
    const second = await serde.encode(small);
    // Later encodes never write into bytes handed out before.
    expect(first).toEqual(copy);
    expect(second).toEqual(first);
    expect(await serde.decode(big)).toEqual(large);
    expect(await serde.decode(first)).toEqual(small);
    // Each carries its own type's schema id.
    expect(await serde.decode(another)).toEqual(confirmed);
  });

  it("registers each subject once, idempotently, and then never asks the registry again", async () => {
    const store = memoryStore();
    const serde = createSerde(store);
    await Promise.all([serde.register(), serde.register()]);
    await serde.register();
    expect(store.calls.register).toBe(EVENT_TYPES.length);
    const events = sampleEvents();
    const encoded = await Promise.all(events.flatMap((event) => [serde.encode(event), serde.encode(event)]));
    await Promise.all(encoded.map((bytes) => serde.decode(bytes)));
    expect(store.calls.register).toBe(EVENT_TYPES.length);
    expect(store.calls.writerType).toBe(0);
  });

  it("looks an id up once per subject on first use, even under concurrency", async () => {
    const store = memoryStore();
    const serde = createSerde(store);
    const event = sampleEvent("OrderPlaced");
    const all = await Promise.all(Array.from({ length: 20 }, () => serde.encode(event)));
    expect(new Set(all.map((bytes) => bytes.readInt32BE(1))).size).toBe(1);
    expect(store.calls.register).toBe(1);
    const reader = createSerde(store);
    await Promise.all(all.map((bytes) => reader.decode(bytes)));
    expect(store.calls.writerType).toBe(1);
  });

  it("uses the subject <topic>-<full record name>", async () => {
    const subjects: string[] = [];
    const store = memoryStore();
    const serde = createSerde({
      ...store,
      register: (subject, schema) => {
        subjects.push(subject);
        return store.register(subject, schema);
      },
    });
    await serde.register();
    expect(subjects.sort()).toEqual(EVENT_TYPES.map(subjectOf).sort());
    expect(subjects).toContain("orders-herald.order.OrderPlaced");
  });

  it.each([
    ["empty bytes", Buffer.alloc(0)],
    ["fewer bytes than a header", Buffer.from([0, 0, 0])],
    ["a wrong magic byte", Buffer.from([1, 0, 0, 0, 1, 2, 3])],
    ["text", Buffer.from('{"type":"OrderPlaced"}')],
  ])("rejects %s as a malformed payload", async (_case, bytes) => {
    const error = await failure(createSerde(memoryStore()).decode(bytes));
    expect(error).toMatchObject({ code: "EVENTS_MALFORMED_PAYLOAD", retryable: false });
  });

  it("rejects a body that is not the record its schema id names", async () => {
    const store = memoryStore();
    const serde = createSerde(store);
    const bytes = await serde.encode(sampleEvent("PaymentProcessed"));
    const id = bytes.readInt32BE(1);
    for (const body of [
      bytes.subarray(5, 12),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.concat([bytes.subarray(5), Buffer.from([7])]),
    ]) {
      const error = await failure(serde.decode(frame(id, body)));
      expect(error.code).toBe("EVENTS_MALFORMED_PAYLOAD");
      expect(error.message).toMatch(/PaymentProcessed/);
    }
  });

  it("rejects an unknown schema id", async () => {
    const error = await failure(createSerde(memoryStore()).decode(frame(4242, Buffer.from([2, 3]))));
    expect(error).toMatchObject({ code: "EVENTS_UNKNOWN_SCHEMA", retryable: false });
  });

  it("rejects a registered record that is not one of our events", async () => {
    const store = memoryStore();
    const id = store.add({ type: "record", name: "acme.Invoice", fields: [{ name: "n", type: "int" }] });
    const error = await failure(createSerde(store).decode(frame(id, Buffer.from([2]))));
    expect(error.code).toBe("EVENTS_UNKNOWN_EVENT_TYPE");
    expect(error.message).toMatch(/acme\.Invoice/);
  });

  it.each<[string, DomainEvent, RegExp]>([
    [
      "a missing field",
      {
        type: "PaymentProcessed",
        data: { ...sampleEvent("PaymentProcessed").data, paymentId: undefined as unknown as string },
      },
      /paymentId: expected string/,
    ],
    [
      "a wrong type",
      sampleEvent("OrderPlaced", { total: { amountMinor: "12.00" as unknown as number, currency: "EUR" } }),
      /total\.amountMinor: expected long/,
    ],
    [
      "a fractional int",
      sampleEvent("InventoryReserved", { lines: [{ sku: "A", quantity: 1.5 }] }),
      /lines\.0\.quantity: expected int/,
    ],
    [
      "an unknown enum symbol",
      sampleEvent("OrderCancelled", { reason: "BORED" as "OTHER" }),
      /reason: expected herald\.order\.CancellationReason/,
    ],
    [
      "no data at all",
      { type: "OrderConfirmed", data: null } as unknown as DomainEvent,
      /\(data\): expected herald\.order\.OrderConfirmed/,
    ],
  ])("rejects an event with %s, locally and without the registry", async (_case, event, message) => {
    const store = memoryStore();
    const error = await failure(createSerde(store).encode(event));
    expect(error).toMatchObject({ code: "EVENTS_SCHEMA_VIOLATION", retryable: false });
    expect(error.message).toMatch(message);
    expect(() => validateEvent(event)).toThrow(error.message);
    expect(store.calls.register).toBe(0);
  });

  it("does not put field values into violation messages", async () => {
    const event = sampleEvent("OrderPlaced", { customerEmail: 42 as unknown as string });
    const error = await failure(createSerde(memoryStore()).encode(event));
    expect(error.message).toMatch(/customerEmail: expected string/);
    expect(error.message).not.toMatch(/42/);
  });

  it("rejects an event type that is not ours", async () => {
    const event = { type: "OrderShipped", data: {} } as unknown as DomainEvent;
    expect((await failure(createSerde(memoryStore()).encode(event))).code).toBe("EVENTS_UNKNOWN_EVENT_TYPE");
    expect(() => validateEvent(event)).toThrow(
      expect.objectContaining({ code: "EVENTS_UNKNOWN_EVENT_TYPE" }),
    );
  });

  it("accepts every sample event in validateEvent", () => {
    for (const event of sampleEvents()) expect(() => validateEvent(event)).not.toThrow();
  });

  it("reads an event written with an older version of its schema, filling defaults", async () => {
    const store = memoryStore();
    const current = EVENT_SCHEMAS.PaymentFailed.schema as { fields: { name: string }[] };
    const older = { ...current, fields: current.fields.filter((f) => f.name !== "detail") };
    const id = store.add(older);
    const { detail: _, ...data } = sampleEvent("PaymentFailed").data;
    const bytes = frame(id, avro.Type.forSchema(older as avro.Schema).toBuffer(data));
    expect(await createSerde(store).decode(bytes)).toEqual({
      type: "PaymentFailed",
      data: { ...data, detail: null },
    });
  });

  it("reads a newer symbol of an enum with a default as its default", async () => {
    const store = memoryStore();
    const current = EVENT_SCHEMAS.OrderCancelled.schema as { fields: { name: string; type: unknown }[] };
    const newer = {
      ...current,
      fields: current.fields.map((f) =>
        f.name === "reason"
          ? {
              ...f,
              type: {
                ...(f.type as object),
                symbols: ["OUT_OF_STOCK", "PAYMENT_FAILED", "CUSTOMER_REQUEST", "OTHER", "FRAUD_SUSPECTED"],
              },
            }
          : f,
      ),
    };
    const id = store.add(newer);
    const event = sampleEvent("OrderCancelled");
    const bytes = frame(
      id,
      avro.Type.forSchema(newer as avro.Schema).toBuffer({ ...event.data, reason: "FRAUD_SUSPECTED" }),
    );
    expect((await createSerde(store).decode(bytes)).data).toMatchObject({ reason: "OTHER" });
  });

  it("rejects a writer schema this build cannot read", async () => {
    const store = memoryStore();
    const current = EVENT_SCHEMAS.PaymentRefunded.schema as { fields: { name: string }[] };
    const id = store.add({ ...current, fields: current.fields.filter((f) => f.name !== "paymentId") });
    const error = await failure(createSerde(store).decode(frame(id, Buffer.from([0]))));
    expect(error.code).toBe("EVENTS_INCOMPATIBLE_SCHEMA");
  });

  it("does not cache a failed registry call", async () => {
    const store = memoryStore();
    let down = true;
    const serde = createSerde({
      ...store,
      register: (subject, schema) =>
        down
          ? Promise.reject(new EventsError("EVENTS_REGISTRY_UNAVAILABLE", "down"))
          : store.register(subject, schema),
    });
    const event = sampleEvent("EmailSent");
    expect(await failure(serde.encode(event))).toMatchObject({
      code: "EVENTS_REGISTRY_UNAVAILABLE",
      retryable: true,
    });
    down = false;
    expect((await serde.encode(event)).readInt32BE(1)).toBeGreaterThan(0);
  });
});

describe("schemaFingerprintOf", () => {
  it("names this build's schema of a type, and nothing for an unknown type", async () => {
    const { schemaFingerprintOf } = await import("./avro.js");
    expect(schemaFingerprintOf("OrderPlaced")).toMatch(/^[0-9a-f]{16}$/);
    expect(schemaFingerprintOf("OrderPlaced")).not.toBe(schemaFingerprintOf("OrderCancelled"));
    expect(schemaFingerprintOf("OrderTeleported")).toBeUndefined();
  });
});
