import { rejectionOf, testInfra, uniqueName } from "@herald/dev-stack/testing";
import { afterAll, describe, expect, it } from "vitest";
import { EventsError } from "./errors.js";
import { EVENT_SCHEMAS } from "./generated/schemas.js";
import { EVENT_TYPES, type EventType } from "./generated/types.js";
import { createEventSerde, createRegistryStore, createSerde } from "./serde.js";
import { sampleEvent, sampleEvents } from "./testing.js";
import { subjectOf } from "./topics.js";

const infra = testInfra();
const url = infra.schemaRegistryUrl;
const created: string[] = [];

/** A serde whose subjects are this test's own: `<prefix>-<topic>-<full record name>`. */
function isolatedSerde(prefix: string) {
  const subject = (type: EventType) => `${prefix}-${subjectOf(type)}`;
  created.push(...EVENT_TYPES.map(subject));
  return { serde: createSerde(createRegistryStore(url), subject), subject };
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, EventsError);

afterAll(async () => {
  for (const subject of created) {
    const path = `${url}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: "DELETE" }).catch(() => {});
    await fetch(`${path}?permanent=true`, { method: "DELETE" }).catch(() => {});
  }
});

describe("the serde against the schema registry", () => {
  it("round-trips every event type; a fresh process reads them by schema id", async () => {
    const { serde } = isolatedSerde(uniqueName("roundtrip"));
    await serde.register();
    const events = sampleEvents();
    const encoded = await Promise.all(events.map((event) => serde.encode(event)));
    const reader = createSerde(createRegistryStore(url));
    const decoded = await Promise.all(encoded.map((bytes) => reader.decode(bytes)));
    expect(decoded).toEqual(events);
  });

  it("registers idempotently: the same ids, one version per subject", async () => {
    const { serde, subject } = isolatedSerde(uniqueName("idempotent"));
    const event = sampleEvent("OrderPlaced");
    await serde.register();
    const first = (await serde.encode(event)).readInt32BE(1);
    // A second process registering the same subjects.
    const second = createSerde(createRegistryStore(url), subject);
    await second.register();
    await second.register();
    expect((await second.encode(event)).readInt32BE(1)).toBe(first);
    const versions = await (
      await fetch(`${url}/subjects/${encodeURIComponent(subject("OrderPlaced"))}/versions`)
    ).json();
    expect(versions).toEqual([1]);
  });

  it("is refused by the registry when a new version of a subject is incompatible", async () => {
    const store = createRegistryStore(url);
    const subject = `${uniqueName("compat")}-payments-herald.payment.PaymentProcessed`;
    created.push(subject);
    const v1 = EVENT_SCHEMAS.PaymentProcessed.schema as { fields: Record<string, unknown>[] };
    const withField = (field: Record<string, unknown>) =>
      JSON.stringify({ ...v1, fields: [...v1.fields, field] });
    const id1 = await store.register(subject, JSON.stringify(v1));

    const required = await failure(
      store.register(subject, withField({ name: "provider", type: "string", doc: "x" })),
    );
    expect(required).toMatchObject({ code: "EVENTS_INCOMPATIBLE_SCHEMA", retryable: false });
    const retyped = JSON.stringify({
      ...v1,
      fields: v1.fields.map((f) => (f.name === "paymentId" ? { ...f, type: "long" } : f)),
    });
    expect((await failure(store.register(subject, retyped))).code).toBe("EVENTS_INCOMPATIBLE_SCHEMA");

    const optional = withField({ name: "provider", type: ["null", "string"], default: null, doc: "x" });
    const id2 = await store.register(subject, optional);
    expect(id2).not.toBe(id1);
    expect(await store.register(subject, optional)).toBe(id2);
  });

  it("reports an unknown schema id as EVENTS_UNKNOWN_SCHEMA", async () => {
    const bytes = Buffer.from([0, 0x7f, 0x00, 0x00, 0x01, 2, 3]);
    const error = await failure(createEventSerde({ registryUrl: url }).decode(bytes));
    expect(error).toMatchObject({ code: "EVENTS_UNKNOWN_SCHEMA", retryable: false });
  });

  it("reports an unreachable registry as retryable EVENTS_REGISTRY_UNAVAILABLE", async () => {
    const serde = createEventSerde({ registryUrl: "http://127.0.0.1:9/apis/ccompat/v7" });
    const error = await failure(serde.encode(sampleEvent("OrderPlaced")));
    expect(error).toMatchObject({ code: "EVENTS_REGISTRY_UNAVAILABLE", retryable: true });
    expect((await failure(serde.decode(Buffer.from([0, 0, 0, 0, 1, 0])))).code).toBe(
      "EVENTS_REGISTRY_UNAVAILABLE",
    );
  });

  it("registers the real subjects, <topic>-<full record name>", async () => {
    const serde = createEventSerde({ registryUrl: url });
    await serde.register();
    const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
    expect(subjects).toEqual(expect.arrayContaining(EVENT_TYPES.map(subjectOf)));
    const event = sampleEvent("InventoryReservationFailed");
    expect(await createEventSerde({ registryUrl: url }).decode(await serde.encode(event))).toEqual(event);
  });
});
