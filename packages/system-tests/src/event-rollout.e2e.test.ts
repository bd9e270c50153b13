import { randomUUID } from "node:crypto";
import {
  createScratchSchema,
  quietKafka,
  type ScratchSchema,
  testInfra,
  uniqueName,
  withAdmin,
} from "@herald/dev-stack/testing";
import { sampleEvent } from "@herald/events/testing";
import { outboxMigrations } from "@herald/outbox";
import { runMigrations } from "@herald/service-kit";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { Producer } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./client.js";
import { BUILDS, type BuildName } from "./fixtures/builds.js";
import { type ReaderProcess, runScript, startReader } from "./fixtures/processes.js";

/**
 * Changing an event while services of different builds run, as "How to change an event"
 * (docs/changing-events.md) tells it: consumer processes of an old and a new build (separate
 * processes, Herald's consumer runtime, real Kafka and registry) read topics of this run's own.
 */

const infra = testInfra();
const kafka = quietKafka(infra, "rollout-test");
const registry = new SchemaRegistry({ host: infra.schemaRegistryUrl, clientId: "rollout-test" });
const readers: ReaderProcess[] = [];
const scratches: ScratchSchema[] = [];
const pools: pg.Pool[] = [];
const topics: string[] = [];
const groups: string[] = [];
const subjects: string[] = [];
let producer: Producer;

beforeAll(async () => {
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await Promise.all(readers.map((reader) => reader.stop()));
  await producer?.disconnect();
  await Promise.all(pools.map((pool) => pool.end()));
  await Promise.all(scratches.map((scratch) => scratch.drop()));
  await withAdmin(kafka, async (admin) => {
    await admin.deleteGroups(groups).catch(() => {});
    await admin.deleteTopics({ topics: [...topics, ...groups.map((g) => `${g}.dlq`)] }).catch(() => {});
  });
  for (const subject of subjects) {
    const path = `${infra.schemaRegistryUrl}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: "DELETE" }).catch(() => {});
    await fetch(`${path}?permanent=true`, { method: "DELETE" }).catch(() => {});
  }
});

async function createTopic(name: string, partitions: number): Promise<string> {
  topics.push(name);
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true }),
  );
  return name;
}

/** A consumer group's own database: the runtime's inbox, and what each process of it handled. */
async function groupDatabase(groupId: string): Promise<{ id: string; url: string; pool: pg.Pool }> {
  groups.push(groupId);
  const scratch = await createScratchSchema(infra.databaseUrls.analytics, "rollout");
  scratches.push(scratch);
  const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
  pool.on("error", () => {});
  pools.push(pool);
  await runMigrations(pool, [
    ...outboxMigrations,
    {
      id: "rollout-001-handled",
      sql: `CREATE TABLE handled (
              seq bigserial PRIMARY KEY,
              event_id uuid NOT NULL,
              order_id text NOT NULL,
              build text NOT NULL,
              writer_schema_id integer NOT NULL,
              detail text
            )`,
    },
  ]);
  return { id: groupId, url: scratch.url, pool };
}

async function reader(build: BuildName, topic: string, groupId: string, databaseUrl: string) {
  const started = await startReader(infra, { build, topic, groupId, databaseUrl });
  readers.push(started);
  return started;
}

async function stopReader(process: ReaderProcess): Promise<void> {
  await process.stop();
  readers.splice(readers.indexOf(process), 1);
}

async function register(subject: string, build: BuildName): Promise<number> {
  subjects.push(subject);
  return (
    await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(BUILDS[build].schema) },
      { subject },
    )
  ).id;
}

interface Handled {
  eventId: string;
  build: string;
  writerSchemaId: number;
  detail: string | null;
}

async function handled(pool: pg.Pool): Promise<Handled[]> {
  const { rows } = await pool.query<{
    event_id: string;
    build: string;
    writer_schema_id: number;
    detail: string | null;
  }>("SELECT event_id, build, writer_schema_id, detail FROM handled ORDER BY seq");
  return rows.map((row) => ({
    eventId: row.event_id,
    build: row.build,
    writerSchemaId: row.writer_schema_id,
    detail: row.detail,
  }));
}

/** Waits until the group has handled every one of `eventIds` and returns what it handled. */
async function handledAll(pool: pg.Pool, eventIds: readonly string[]): Promise<Handled[]> {
  return eventually(async () => {
    const rows = await handled(pool);
    const seen = new Set(rows.map((row) => row.eventId));
    return eventIds.every((id) => seen.has(id)) ? rows : undefined;
  }, 60_000);
}

/** Messages on a group's dead-letter topic (the runtime creates it when the consumer starts). */
async function deadLetters(groupId: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(`${groupId}.dlq`);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  });
}

/** An OrderPlaced's data as a producer of `build` writes it. */
function orderPlaced(build: BuildName, extra: { giftMessage?: string | null } = {}) {
  const { data } = sampleEvent("OrderPlaced", { orderId: randomUUID() });
  if (build === "v1") return data;
  if (build === "gift") return { ...data, giftMessage: extra.giftMessage ?? null };
  const { customerEmail, ...rest } = data;
  return { ...rest, contact: { email: customerEmail, phone: null } };
}

describe("an additive change rolled out while old and new builds run side by side", () => {
  it("reads v1 and v2 events in one group of an old-build and a new-build process: none dead-lettered, the new field used where present", async () => {
    const topic = await createTopic(uniqueName("rollout"), 2);
    const subject = `${topic}-herald.order.OrderPlaced`;
    const v1 = await register(subject, "v1");
    // The producer's new build registers v2 under the same subject: the registry (BACKWARD) accepts it.
    const v2 = await register(subject, "gift");
    expect(v2).not.toBe(v1);

    // A rolling upgrade of one consumer group: one process of each build, one partition each.
    const groupId = uniqueName("rollout-fulfilment");
    const db = await groupDatabase(groupId);
    await reader("v1", topic, groupId, db.url);
    await reader("gift", topic, groupId, db.url);
    await eventually(async () => {
      const [group] = (await withAdmin(kafka, (admin) => admin.describeGroups([groupId]))).groups;
      return group?.state === "Stable" && group.members.length === 2 ? true : undefined;
    }, 60_000);

    // Consumer-first: producers still on v1 write events without the field. Producer-first: a
    // producer on v2 writes events with it (and one without a message). Both partitions get both.
    const written: { eventId: string; schemaId: number; giftMessage: string | null }[] = [];
    for (const partition of [0, 1]) {
      const events = [
        { schemaId: v1, data: orderPlaced("v1") },
        {
          schemaId: v2,
          data: orderPlaced("gift", { giftMessage: `Happy birthday from partition ${partition}!` }),
        },
        { schemaId: v2, data: orderPlaced("gift", { giftMessage: null }) },
        { schemaId: v1, data: orderPlaced("v1") },
      ];
      await producer.send({
        topic,
        acks: -1,
        messages: await Promise.all(
          events.map(async ({ schemaId, data }) => ({
            key: data.orderId,
            partition,
            value: await registry.encode(schemaId, data),
          })),
        ),
      });
      for (const { schemaId, data } of events)
        written.push({
          eventId: data.metadata.eventId,
          schemaId,
          giftMessage: "giftMessage" in data ? data.giftMessage : null,
        });
    }

    const rows = await handledAll(
      db.pool,
      written.map((w) => w.eventId),
    );
    // Each event handled once, by one of the two builds.
    expect(rows).toHaveLength(written.length);
    expect(new Set(rows.map((row) => row.eventId)).size).toBe(written.length);
    // Each build read events of both versions.
    const pairs = new Set(rows.map((row) => `${row.build} read v${row.writerSchemaId === v1 ? 1 : 2}`));
    expect([...pairs].sort()).toEqual(["gift read v1", "gift read v2", "v1 read v1", "v1 read v2"]);
    // The new build used the field where the event had it; the old one read what it knows.
    for (const row of rows) {
      const sent = written.find((w) => w.eventId === row.eventId)!;
      if (row.build === "gift") expect(row.detail).toBe(sent.giftMessage);
      else expect(row.detail).toBe("ada@example.com");
    }
    expect(rows.some((row) => row.build === "gift" && row.detail?.startsWith("Happy birthday"))).toBe(true);
    expect(await deadLetters(groupId)).toBe(0);
  });
});

describe("a breaking change through a migration window", () => {
  it("is refused under the old subject, runs in parallel on a new one until every group moved, then the old one is retired; no group loses an event", async () => {
    const oldTopic = await createTopic(uniqueName("window"), 2);
    const newTopic = await createTopic(`${oldTopic}.v2`, 2);
    const oldSubject = `${oldTopic}-herald.order.OrderPlaced`;
    const newSubject = `${newTopic}-herald.order.OrderPlacedV2`;
    const v1 = await register(oldSubject, "v1");

    // The registry refuses the breaking change as the next version of the old subject.
    const breaking = { ...BUILDS.contact.schema, name: "OrderPlaced", doc: BUILDS.v1.schema.doc };
    const refused = await fetch(
      `${infra.schemaRegistryUrl}/subjects/${encodeURIComponent(oldSubject)}/versions`,
      {
        method: "POST",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: JSON.stringify({ schemaType: "AVRO", schema: JSON.stringify(breaking) }),
      },
    );
    expect(refused.status).toBe(409);
    const v2 = await register(newSubject, "contact");

    // Two consumer groups on the old build.
    const billing = await groupDatabase(uniqueName("window-billing"));
    const shipping = await groupDatabase(uniqueName("window-shipping"));
    const running = new Map<string, ReaderProcess>();
    for (const group of [billing, shipping])
      running.set(group.id, await reader("v1", oldTopic, group.id, group.url));

    const facts: string[] = [];
    /** Publishes `count` facts: v1 on the old topic and/or v2 on the new one, the same event id and key. */
    async function publish(count: number, versions: { old: boolean; new: boolean }) {
      for (let i = 0; i < count; i++) {
        const { data } = sampleEvent("OrderPlaced", { orderId: randomUUID() });
        const { customerEmail, ...rest } = data;
        const topicMessages = [];
        if (versions.old)
          topicMessages.push({
            topic: oldTopic,
            messages: [{ key: data.orderId, value: await registry.encode(v1, data) }],
          });
        if (versions.new)
          topicMessages.push({
            topic: newTopic,
            messages: [
              {
                key: data.orderId,
                value: await registry.encode(v2, { ...rest, contact: { email: customerEmail, phone: null } }),
              },
            ],
          });
        await producer.sendBatch({ acks: -1, topicMessages });
        facts.push(data.metadata.eventId);
      }
    }
    const window = () => runScript(infra, "schemas:window", ["--from", oldSubject, "--to", newSubject]);
    /** Runs the tool until the groups named read what is expected (the groups commit as they go). */
    async function windowShows(expected: Record<string, "old" | "new">, code: number) {
      return eventually(async () => {
        const result = await window();
        const shown = Object.entries(expected).every(([group, reads]) =>
          new RegExp(`^${group}\\s+${reads}\\s`, "m").test(result.stdout),
        );
        return shown && result.code === code ? result : undefined;
      }, 60_000);
    }

    // Before the window: the old version only.
    await publish(3, { old: true, new: false });
    for (const group of [billing, shipping]) await handledAll(group.pool, facts);

    // The window opens: every fact goes out in both versions.
    await publish(3, { old: true, new: true });
    const open = await windowShows({ [billing.id]: "old", [shipping.id]: "old" }, 3);
    expect(open.stdout).toContain(`old ${oldSubject}  (topic ${oldTopic}, versions 1)`);
    expect(open.stdout).toMatch(/2 groups still read the old version .*: keep publishing both/);

    // Billing moves to the new build: it reads the new topic from its start; the facts it already
    // handled in their old version come again under the same event ids, and its inbox drops them.
    await stopReader(running.get(billing.id)!);
    running.set(billing.id, await reader("contact", newTopic, billing.id, billing.url));
    await publish(2, { old: true, new: true });
    const half = await windowShows({ [billing.id]: "new", [shipping.id]: "old" }, 3);
    expect(half.stdout).toMatch(new RegExp(`1 group still reads the old version \\(${shipping.id}\\)`));

    await stopReader(running.get(shipping.id)!);
    running.set(shipping.id, await reader("contact", newTopic, shipping.id, shipping.url));
    const closable = await windowShows({ [billing.id]: "new", [shipping.id]: "new" }, 0);
    expect(closable.stdout).toContain("no group reads the old version: the window can close");

    // The window closes: the producer publishes the new version only, and the old subject is retired.
    await publish(2, { old: false, new: true });
    const retired = await fetch(`${infra.schemaRegistryUrl}/subjects/${encodeURIComponent(oldSubject)}`, {
      method: "DELETE",
    });
    expect(retired.status).toBe(200);

    // Every group handled every fact exactly once, in the version its build of the time read.
    for (const group of [billing, shipping]) {
      const rows = await handledAll(group.pool, facts);
      expect(rows.map((row) => row.eventId).sort()).toEqual([...facts].sort());
      for (const row of rows) {
        expect(row.detail).toBe("ada@example.com");
        expect(row.writerSchemaId).toBe(row.build === "v1" ? v1 : v2);
      }
      // The facts after its move came through the new build.
      expect(rows.slice(-2).map((row) => row.build)).toEqual(["contact", "contact"]);
      expect(await deadLetters(group.id)).toBe(0);
    }
  });
});
