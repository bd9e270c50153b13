import { randomBytes, randomUUID } from "node:crypto";
import { quietKafka, startSystem, testInfra, uniqueName, withAdmin } from "@herald/dev-stack/testing";
import { TOPICS, type TopicName } from "@herald/events";
import { HEADERS } from "@herald/outbox";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, eventually, orderRequest } from "./client.js";

/**
 * A poison message — bytes that are no event at all, and a well-framed message naming a schema id
 * the registry never issued — on every partition of every topic ends in the dead-letter topic of
 * each consumer group that reads that topic, and of no other; every group moves on past it, and an
 * order placed afterwards still goes all the way through.
 */

/** Who reads which topic: the `consumer` of each service's `service.ts`. */
const READERS: Readonly<Record<TopicName, readonly string[]>> = {
  orders: ["inventory-service", "payment-service", "email-service", "analytics-service"],
  inventory: ["order-service", "payment-service", "analytics-service"],
  payments: ["order-service", "inventory-service", "email-service", "analytics-service"],
  notifications: ["analytics-service"],
  analytics: ["email-service", "analytics-service"],
};
const GROUPS = [...new Set(Object.values(READERS).flat())];
/** Each group's database, where its consumer parks the keys it dead-lettered. */
const GROUP_SERVICE = {
  "order-service": "order",
  "inventory-service": "inventory",
  "payment-service": "payment",
  "email-service": "email",
  "analytics-service": "analytics",
} as const;

const infra = testInfra();
const kafka = quietKafka(infra, "poison-test");
/** Every key this run writes starts with it, so its dead letters and parked keys are told from others'. */
const run = uniqueName("poison");
let client: Client;

beforeAll(async () => {
  client = await createClient(await startSystem(infra));
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M"]);
});

afterAll(async () => {
  // The parked poison keys are this run's own; the services' tables keep nothing of it.
  for (const service of Object.values(GROUP_SERVICE))
    await queryService(service, "DELETE FROM consumer_parked_keys WHERE message_key LIKE $1", [`${run}-%`]);
});

/** A statement in a service's own database (as its role). */
async function queryService(
  service: (typeof GROUP_SERVICE)[keyof typeof GROUP_SERVICE],
  sql: string,
  values: unknown[],
): Promise<Record<string, string>[]> {
  const db = new pg.Client({ connectionString: infra.databaseUrls[service] });
  await db.connect();
  try {
    return (await db.query<Record<string, string>>(sql, values)).rows;
  } finally {
    await db.end();
  }
}

interface Poison {
  readonly key: string;
  readonly topic: TopicName;
  readonly partition: number;
  offset?: string;
  readonly value: Buffer;
}

/** Framed as the registry serde frames (magic byte 0, a 4-byte schema id), with an id never issued. */
function unknownSchemaId(): Buffer {
  const bytes = Buffer.alloc(5 + 16);
  bytes.writeUInt8(0, 0);
  bytes.writeInt32BE(2_000_000_000 + Math.floor(Math.random() * 100_000_000), 1);
  randomBytes(16).copy(bytes, 5);
  return bytes;
}

/** Not framed at all: what a misconfigured producer writing JSON would put on the topic. */
function garbage(): Buffer {
  return Buffer.concat([Buffer.from('{"type":"OrderPlaced","orderId":"'), randomBytes(8), Buffer.from('"}')]);
}

/** Writes both kinds of poison to every partition of every topic; returns them with their offsets. */
async function writePoison(): Promise<Poison[]> {
  const poisons: Poison[] = [];
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const topic of Object.keys(READERS) as TopicName[]) {
      const name = TOPICS[topic].name;
      const partitions = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(name));
      for (const { partition } of partitions)
        for (const [kind, value] of [
          ["garbage", garbage()],
          ["unknown-schema", unknownSchemaId()],
        ] as const) {
          const poison: Poison = { key: `${run}-${kind}-${randomUUID()}`, topic, partition, value };
          const [sent] = await producer.send({
            topic: name,
            acks: -1,
            messages: [{ key: poison.key, value, partition }],
          });
          poison.offset = sent!.baseOffset;
          poisons.push(poison);
        }
    }
  } finally {
    await producer.disconnect();
  }
  return poisons;
}

interface DeadLetter {
  readonly group: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads every group's dead-letter topic from the beginning, keeping this run's letters. */
async function readDeadLetters(): Promise<{ letters: DeadLetter[]; stop(): Promise<void> }> {
  const letters: DeadLetter[] = [];
  const reader = kafka.consumer({ groupId: uniqueName("poison-dlq-reader"), maxWaitTimeInMs: 200 });
  await reader.connect();
  await reader.subscribe({ topics: GROUPS.map((group) => `${group}.dlq`), fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const key = message.key?.toString() ?? "";
      if (!key.startsWith(`${run}-`)) return;
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      letters.push({ group: topic.slice(0, -".dlq".length), key, value: message.value, headers });
    },
  });
  return { letters, stop: () => reader.disconnect() };
}

describe("poison messages on every topic", () => {
  it("end in the dead-letter topic of each group that reads the topic, and nothing stalls", async () => {
    const poisons = await writePoison();
    const expected = poisons.flatMap((poison) => READERS[poison.topic].map((group) => ({ group, poison })));
    const reader = await readDeadLetters();
    try {
      await eventually(async () => (reader.letters.length >= expected.length ? true : undefined), 60_000);

      // An order placed after the poison goes through every service: nobody is stuck behind it.
      const email = `after-poison-${randomUUID()}@example.com`;
      const placed = await client.place(orderRequest({ email }));
      expect(placed.status).toBe(202);
      expect((await client.settled(placed.body.orderId)).status).toBe("CONFIRMED");
      await eventually(async () =>
        (await client.mailsTo(infra.mailApiUrl, email)).length > 0 ? true : undefined,
      );
      const timeline = await eventually(async () => {
        const { status, body } = await client.timeline(placed.body.orderId);
        return status === 200 && body.facts.some((fact) => fact.type === "EmailSent")
          ? body.facts
          : undefined;
      });
      expect(new Set(timeline.map((fact) => fact.producer))).toEqual(
        new Set(["order", "inventory", "payment", "email"]),
      );

      // Each reading group committed past every poison message of its topics (the analytics topic
      // included, which no order writes to).
      const stuck: string[] = [];
      for (const group of GROUPS) {
        const topics = (Object.keys(READERS) as TopicName[]).filter((topic) =>
          READERS[topic].includes(group),
        );
        await eventually(async () => {
          const committed = await withAdmin(kafka, (admin) =>
            admin.fetchOffsets({ groupId: group, topics: topics.map((topic) => TOPICS[topic].name) }),
          );
          const behind = poisons.filter((poison) => {
            if (!topics.includes(poison.topic)) return false;
            const partitions = committed.find((t) => t.topic === TOPICS[poison.topic].name)?.partitions;
            const offset = partitions?.find((p) => p.partition === poison.partition)?.offset ?? "-1";
            return BigInt(offset) <= BigInt(poison.offset!);
          });
          if (behind.length === 0) return true;
          stuck.splice(
            0,
            stuck.length,
            ...behind.map((p) => `${group} at ${p.topic}/${p.partition}@${p.offset}`),
          );
          return undefined;
        }).catch(() => undefined);
      }
      expect(stuck, "groups that did not get past the poison").toEqual([]);

      // Each poison in exactly the DLQs of the groups that read its topic, once, with what went wrong.
      const got = reader.letters.map((letter) => ({
        group: letter.group,
        key: letter.key,
        value: letter.value?.toString("hex"),
        code: letter.headers[HEADERS.dlqErrorCode],
        cause: letter.headers[HEADERS.dlqCauseCode],
        topic: letter.headers[HEADERS.dlqTopic],
        partition: letter.headers[HEADERS.dlqPartition],
        offset: letter.headers[HEADERS.dlqOffset],
        consumerGroup: letter.headers[HEADERS.dlqGroup],
      }));
      const wanted = expected.map(({ group, poison }) => ({
        group,
        key: poison.key,
        value: poison.value.toString("hex"),
        code: "OUTBOX_UNDECODABLE_MESSAGE",
        cause: poison.key.includes("-unknown-schema-") ? "EVENTS_UNKNOWN_SCHEMA" : "EVENTS_MALFORMED_PAYLOAD",
        topic: TOPICS[poison.topic].name,
        partition: String(poison.partition),
        offset: poison.offset,
        consumerGroup: group,
      }));
      const order = (a: { group: string; key: string }, b: { group: string; key: string }) =>
        `${a.group} ${a.key}`.localeCompare(`${b.group} ${b.key}`);
      expect(got.sort(order)).toEqual(wanted.sort(order));

      // Each group parked the poison's key, so a later message of that key could not overtake it.
      for (const group of GROUPS) {
        const parked = await queryService(
          GROUP_SERVICE[group as keyof typeof GROUP_SERVICE],
          "SELECT message_key FROM consumer_parked_keys WHERE consumer_group = $1 AND message_key LIKE $2",
          [group, `${run}-%`],
        );
        const keys = expected.filter((e) => e.group === group).map((e) => e.poison.key);
        expect(parked.map((row) => row.message_key).sort(), group).toEqual(keys.sort());
      }
    } finally {
      await reader.stop();
    }
  });
});
