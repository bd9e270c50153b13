import {
  createScratchSchema,
  quietKafka,
  type ScratchSchema,
  testInfra,
  uniqueName,
  withAdmin,
} from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent, fullNameOf } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { type Consumer, createConsumer, outboxMigrations } from "@herald/outbox";
import { runMigrations } from "@herald/service-kit";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./client.js";
import { BUILDS, type BuildSchema } from "./fixtures/builds.js";

/**
 * A schema change as a producer team would ship it: v2 of OrderPlaced adds a field with a default,
 * registered next to this build's v1 under a test-only topic's subject; events written with v2 are
 * read by a consumer built on v1 (this build's reader), and the registry refuses, with HTTP 409,
 * versions that would break readers.
 */

const infra = testInfra();
const registryUrl = infra.schemaRegistryUrl;
/** A topic of this run's own; its subject follows the TopicRecordName strategy, as Herald's do. */
const topic = uniqueName("evolution");
const subject = `${topic}-${fullNameOf("OrderPlaced")}`;
const kafka = quietKafka(infra, "evolution-test");

type AvroRecord = Pick<BuildSchema, "fields">;
const v1: AvroRecord = BUILDS.v1.schema;
/** The additive change: an optional field with a default (the rollout test's `gift` build). */
const v2: AvroRecord = BUILDS.gift.schema;

let scratch: ScratchSchema | undefined;
let pool: pg.Pool | undefined;
let consumer: Consumer | undefined;
let groupId: string | undefined;

const registry = new SchemaRegistry({ host: registryUrl, clientId: "evolution-test" });
/** This build's OrderPlaced, registered as every service registers it (the client sets the subject to BACKWARD on first use). */
let id1: number;

beforeAll(async () => {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }),
  );
  ({ id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject }));
});

afterAll(async () => {
  await consumer?.stop();
  await pool?.end();
  await scratch?.drop();
  const topics = [topic, ...(groupId ? [`${groupId}.dlq`] : [])];
  await withAdmin(kafka, async (admin) => {
    await admin.deleteTopics({ topics }).catch(() => {});
    if (groupId) await admin.deleteGroups([groupId]).catch(() => {});
  });
  const path = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
  await fetch(path, { method: "DELETE" }).catch(() => {});
  await fetch(`${path}?permanent=true`, { method: "DELETE" }).catch(() => {});
});

/** Registers `schema` as the next version of the subject over the registry's Confluent API. */
async function postVersion(
  schema: AvroRecord,
): Promise<{ status: number; body: { id?: number; message?: string } }> {
  const response = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schemaType: "AVRO", schema: JSON.stringify(schema) }),
  });
  return { status: response.status, body: (await response.json()) as { id?: number; message?: string } };
}

async function versions(): Promise<number[]> {
  const response = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`);
  return (await response.json()) as number[];
}

describe("a schema change", () => {
  it("is read by a consumer built on the previous version: an added field with a default", async () => {
    const { id: id2 } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
      { subject },
    );
    expect(id2).not.toBe(id1);
    expect(await versions()).toEqual([1, 2]);

    // A producer on v2 writes an event with the new field set.
    const event = sampleEvent("OrderPlaced");
    const written = await registry.encode(id2, { ...event.data, giftMessage: "Happy birthday, Ada!" });
    expect(written.readInt32BE(1)).toBe(id2);

    // This build's serde reads it as the OrderPlaced it knows: every v1 field, the new one dropped.
    const reader = createEventSerde({ registryUrl });
    expect(await reader.decode(written)).toEqual(event);

    // And so does a consumer on the shared runtime, through Kafka, inbox and all.
    scratch = await createScratchSchema(infra.databaseUrls.analytics, "evolution");
    pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
    pool.on("error", () => {});
    await runMigrations(pool, outboxMigrations);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: event.data.orderId, value: written }] });
    await producer.disconnect();
    const received: DomainEvent[] = [];
    const outcomes: string[] = [];
    groupId = uniqueName("evolution-reader");
    consumer = createConsumer({
      kafka,
      pool,
      groupId,
      topics: [topic],
      serde: reader,
      consumerConfig: { maxWaitTimeInMs: 200 },
      hooks: { outcome: (report) => outcomes.push(report.outcome) },
      async handle(got) {
        received.push(got);
      },
    });
    await consumer.start();
    await eventually(async () => (outcomes.length > 0 ? true : undefined));
    expect(outcomes).toEqual(["processed"]);
    expect(received).toEqual([event]);
  });

  it("is refused by the registry with HTTP 409 when it would break readers", async () => {
    const before = await versions();
    expect(before.length).toBeGreaterThan(0);

    // A required field without a default: a reader on it cannot read what was written before.
    const required = await postVersion({
      ...v1,
      fields: [...v1.fields, { name: "loyaltyTier", type: "string", doc: "The customer's tier." }],
    });
    expect(required.status).toBe(409);

    // A field's type changed: the order id from string to long.
    const retyped = await postVersion({
      ...v1,
      fields: v1.fields.map((field) => (field.name === "orderId" ? { ...field, type: "long" } : field)),
    });
    expect(retyped.status).toBe(409);

    expect(await versions()).toEqual(before);
  });
});
