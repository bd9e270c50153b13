import { setTimeout as sleep } from "node:timers/promises";
import {
  createScratchSchema,
  type Infra,
  kafkaConfig,
  testInfra,
  uniqueName,
} from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent, type EventSerde, TOPICS, type TopicName } from "@herald/events";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { enqueueAll } from "../enqueue.js";
import { outboxMigrations } from "../migrations.js";

export { waitFor } from "@herald/dev-stack/testing";

import { orderPlaced } from "./events.js";

export { orderPlaced };

/** A Postgres schema with the outbox migrations applied, inside the order service's database. */
export interface TestDatabase {
  readonly schema: string;
  /** Connections whose search_path is the schema. */
  readonly pool: pg.Pool;
  /** The same, as a URL (for a relay process). */
  readonly url: string;
  /** Commits `events` in one transaction through enqueue. */
  write(events: readonly DomainEvent[]): Promise<void>;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  prefix = "outbox_test",
  databaseUrl = testInfra().databaseUrls.order,
): Promise<TestDatabase> {
  const scratch = await createScratchSchema(databaseUrl, prefix);
  const setup = new pg.Client({ connectionString: scratch.url });
  await setup.connect();
  try {
    for (const migration of outboxMigrations) {
      await setup.query("BEGIN");
      await setup.query(migration.sql);
      await setup.query("COMMIT");
    }
  } finally {
    await setup.end();
  }
  const pool = new pg.Pool({ connectionString: scratch.url, max: 12 });
  pool.on("error", () => {});
  return {
    schema: scratch.name,
    pool,
    url: scratch.url,
    async write(events) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await enqueueAll(client, events);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async drop() {
      await pool.end();
      await scratch.drop().catch(() => {});
    },
  };
}

/** Kafka topics of the contract under a fresh prefix, so a test's relay writes only its own topics. */
export interface TestTopics {
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  readonly prefix: string;
  name(topic: TopicName): string;
  delete(): Promise<void>;
}

export async function createTestTopics(
  infra: Pick<Infra, "kafkaBrokers" | "kafkaLogin" | "kafkaSsl"> = testInfra(),
  topics: readonly TopicName[] = ["orders"],
): Promise<TestTopics> {
  const prefix = `${uniqueName("outbox")}.`;
  const kafka = new Kafka({
    clientId: "outbox-test",
    ...kafkaConfig(infra),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const names = topics.map((topic) => `${prefix}${TOPICS[topic].name}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return {
    kafka,
    serde: createEventSerde({ registryUrl: testInfra().schemaRegistryUrl }),
    prefix,
    name: (topic) => `${prefix}${topic}`,
    async delete() {
      const cleanup = kafka.admin();
      await cleanup.connect();
      const existing = await cleanup.listTopics();
      const mine = existing.filter((topic) => topic.startsWith(prefix));
      await cleanup.deleteTopics({ topics: mine }).catch(() => {});
      await cleanup.disconnect();
    },
  };
}

/** A writer committing events in the background until stopped. */
export interface SteadyWriter {
  /** The ids of the events committed, in commit order. */
  readonly written: string[];
  /** Stops after the transaction in flight. */
  stop(): Promise<void>;
}

/**
 * Commits transactions of `perTransaction` OrderPlaced events, spread over `keys` aggregates,
 * `pauseMs` apart, until stopped; their ids are appended to `written`.
 */
export function writeSteadily(
  db: TestDatabase,
  options: { perTransaction: number; keys: number; pauseMs: number },
  written: string[] = [],
): SteadyWriter {
  const { perTransaction, keys, pauseMs } = options;
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const events = Array.from({ length: perTransaction }, (_, j) =>
        orderPlaced(`ord_${(i * perTransaction + j) % keys}`, i),
      );
      await db.write(events);
      written.push(...events.map((event) => event.data.metadata.eventId));
      await sleep(pauseMs);
    }
  })();
  return {
    written,
    async stop() {
      writing = false;
      await writer;
    },
  };
}

export interface Arrival {
  readonly eventId: string;
  readonly key: string;
  readonly partition: number;
  readonly offset: string;
}

/** Reads topics from the beginning and records every event that arrives, in arrival order. */
export interface Collector {
  readonly arrivals: readonly Arrival[];
  /** Distinct event ids seen. */
  readonly seen: ReadonlySet<string>;
  /** Arrivals of an id already seen. */
  duplicates(): number;
  stop(): Promise<void>;
}

export async function collect(
  kafka: Kafka,
  serde: EventSerde,
  topics: readonly string[],
): Promise<Collector> {
  const arrivals: Arrival[] = [];
  const seen = new Set<string>();
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName("collector"), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = await serde.decode(message.value!);
      arrivals.push({
        eventId: event.data.metadata.eventId,
        key: String(message.key),
        partition,
        offset: message.offset,
      });
      seen.add(event.data.metadata.eventId);
    },
  });
  return {
    arrivals,
    seen,
    duplicates: () => arrivals.length - seen.size,
    stop: () => consumer.disconnect(),
  };
}

/** For each key, the order in which its events first arrived. */
export function firstArrivalOrder(arrivals: readonly Arrival[]): Map<string, string[]> {
  const order = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const arrival of arrivals) {
    if (seen.has(arrival.eventId)) continue;
    seen.add(arrival.eventId);
    let list = order.get(arrival.key);
    if (!list) {
      list = [];
      order.set(arrival.key, list);
    }
    list.push(arrival.eventId);
  }
  return order;
}
