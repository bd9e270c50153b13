import { uniqueName } from "@herald/dev-stack/testing";
import { createMetadata, type DomainEvent, type EventOf } from "@herald/events";
import type { IHeaders, Producer } from "kafkajs";
import { afterEach } from "vitest";
import { type ConsumeReport, type Consumer, createConsumer } from "../consumer.js";
import { enqueue } from "../enqueue.js";
import {
  createTestDatabase,
  createTestTopics,
  orderPlaced,
  type TestDatabase,
  type TestTopics,
  waitFor,
} from "./support.js";

/**
 * What the consumer's integration tests share: a scratch schema with an `effects` table, topics of
 * their own and a producer (made by `setUp`), consumers that are stopped and everything dropped after
 * each test, the handler every test uses, and readers of the effects and dead letters.
 * Call it inside a `describe`.
 */
export function consumerRig() {
  const rig: { db?: TestDatabase; topics?: TestTopics; producer?: Producer; consumers: Consumer[] } = {
    consumers: [],
  };

  afterEach(async () => {
    for (const consumer of rig.consumers.splice(0)) await consumer.stop();
    await rig.producer?.disconnect();
    await rig.topics?.delete();
    await rig.db?.drop();
    rig.producer = undefined;
  });

  async function setUp(): Promise<{ db: TestDatabase; topics: TestTopics; topic: string }> {
    const db = await createTestDatabase("consumer_test");
    rig.db = db;
    await db.pool.query("CREATE TABLE effects (event_id uuid NOT NULL, order_id text NOT NULL)");
    const topics = await createTestTopics();
    rig.topics = topics;
    const producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    rig.producer = producer;
    await producer.connect();
    return { db, topics, topic: topics.name("orders") };
  }

  async function send(
    topic: string,
    messages: { key: string; value: Buffer | null; headers?: IHeaders; partition?: number }[],
  ) {
    await rig.producer!.send({ topic, messages });
  }

  async function events(
    count: number,
    keys: number,
  ): Promise<{ event: EventOf<"OrderPlaced">; value: Buffer }[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const event = orderPlaced(`ord_${i % keys}`, i);
        return { event, value: await rig.topics!.serde.encode(event) };
      }),
    );
  }

  /**
   * Sends {@link events}`(count, keys)` to `topic`, each keyed by its order, all to `partition` when
   * one is named; answers them.
   */
  async function sendEvents(
    topic: string,
    count: number,
    keys: number,
    partition?: number,
  ): Promise<{ event: EventOf<"OrderPlaced">; value: Buffer }[]> {
    const sent = await events(count, keys);
    await send(
      topic,
      sent.map(({ event, value }) => ({
        key: event.data.orderId,
        value,
        ...(partition === undefined ? {} : { partition }),
      })),
    );
    return sent;
  }

  function consumer(
    options: Omit<Parameters<typeof createConsumer>[0], "kafka" | "pool" | "serde">,
  ): Consumer {
    const created = createConsumer({
      kafka: rig.topics!.kafka,
      pool: rig.db!.pool,
      serde: rig.topics!.serde,
      // Short fetch waits, so a stopping consumer does not sit out a long poll.
      consumerConfig: { maxWaitTimeInMs: 500 },
      ...options,
    });
    rig.consumers.push(created);
    return created;
  }

  const orderIdOf = (event: DomainEvent) => ("orderId" in event.data ? (event.data.orderId ?? "") : "");

  /** The handler every test uses: one effect row, and a follow-up event through the outbox, atomically. */
  async function recordEffect(event: DomainEvent, tx: Parameters<typeof enqueue>[0]): Promise<void> {
    const orderId = "orderId" in event.data ? (event.data.orderId ?? "") : "";
    await tx.query("INSERT INTO effects (event_id, order_id) VALUES ($1, $2)", [
      event.data.metadata.eventId,
      orderId,
    ]);
    await enqueue(tx, {
      type: "InventoryReserved",
      data: {
        metadata: createMetadata({ producer: "inventory", cause: event.data.metadata }),
        orderId,
        lines: [{ sku: "SKU-MUG", quantity: 2 }],
      },
    });
  }

  async function count(sql: string): Promise<number> {
    const { rows } = await rig.db!.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
    return rows[0]!.n;
  }

  type DeadLetter = { key: string; value: Buffer | null; headers: Record<string, string> };

  /** Reads `groupId`'s dead-letter topic from the beginning until `expected` letters arrived. */
  async function deadLetters(groupId: string, expected: number): Promise<DeadLetter[]> {
    const dead: DeadLetter[] = [];
    const reader = rig.topics!.kafka.consumer({ groupId: uniqueName("dlq-reader"), maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: `${groupId}.dlq`, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
        dead.push({ key: String(message.key), value: message.value, headers });
      },
    });
    try {
      await waitFor(`${expected} dead letters`, () => dead.length >= expected);
    } finally {
      await reader.disconnect();
    }
    return dead;
  }

  const idOf = (event: DomainEvent) => event.data.metadata.eventId;
  const finalOutcome = (outcomes: readonly ConsumeReport[], event: DomainEvent) =>
    outcomes.find((o) => o.event && idOf(o.event) === idOf(event) && o.outcome !== "retried");

  return {
    rig,
    setUp,
    send,
    events,
    sendEvents,
    consumer,
    orderIdOf,
    recordEffect,
    count,
    deadLetters,
    idOf,
    finalOutcome,
  };
}
