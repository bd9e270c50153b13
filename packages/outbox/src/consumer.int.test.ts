import { uniqueName } from "@herald/dev-stack/testing";
import { createMetadata, type DomainEvent, type EventOf } from "@herald/events";
import type { IHeaders, Producer } from "kafkajs";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type ConsumeReport, type Consumer, createConsumer } from "./consumer.js";
import { enqueue } from "./enqueue.js";
import { HEADERS } from "./headers.js";
import {
  createTestDatabase,
  createTestTopics,
  orderPlaced,
  type TestDatabase,
  type TestTopics,
  waitFor,
} from "./testing/support.js";

describe("the consumer", { timeout: 90_000 }, () => {
  let db: TestDatabase | undefined;
  let topics: TestTopics | undefined;
  let producer: Producer | undefined;
  const consumers: Consumer[] = [];

  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.stop();
    await producer?.disconnect();
    await topics?.delete();
    await db?.drop();
    producer = undefined;
  });

  async function setUp(): Promise<{ db: TestDatabase; topics: TestTopics; topic: string }> {
    db = await createTestDatabase("consumer_test");
    await db.pool.query("CREATE TABLE effects (event_id uuid NOT NULL, order_id text NOT NULL)");
    topics = await createTestTopics();
    producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return { db, topics, topic: topics.name("orders") };
  }

  async function send(topic: string, messages: { key: string; value: Buffer | null; headers?: IHeaders }[]) {
    await producer!.send({ topic, messages });
  }

  async function events(
    count: number,
    keys: number,
  ): Promise<{ event: EventOf<"OrderPlaced">; value: Buffer }[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const event = orderPlaced(`ord_${i % keys}`, i);
        return { event, value: await topics!.serde.encode(event) };
      }),
    );
  }

  function consumer(
    options: Omit<Parameters<typeof createConsumer>[0], "kafka" | "pool" | "serde">,
  ): Consumer {
    const created = createConsumer({
      kafka: topics!.kafka,
      pool: db!.pool,
      serde: topics!.serde,
      // Short fetch waits, so a stopping consumer does not sit out a long poll.
      consumerConfig: { maxWaitTimeInMs: 500 },
      ...options,
    });
    consumers.push(created);
    return created;
  }

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
    const { rows } = await db!.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
    return rows[0]!.n;
  }

  it("changes nothing twice when the same offsets are consumed again", async () => {
    const { topic, topics } = await setUp();
    const sent = await events(20, 4);
    await send(
      topic,
      sent.map(({ event, value }) => ({ key: event.data.orderId, value })),
    );
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    const hooks = { outcome: (report: ConsumeReport) => void outcomes.push(report) };
    const first = consumer({ groupId, topics: [topic], handle: recordEffect, hooks });
    await first.start();
    await waitFor("the first pass", () => outcomes.filter((o) => o.outcome === "processed").length === 20);
    await first.stop();
    consumers.splice(consumers.indexOf(first), 1);

    const admin = topics.kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committedTotal).toBe(20);
    await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.disconnect();

    const second = consumer({ groupId, topics: [topic], handle: recordEffect, hooks });
    await second.start();
    await waitFor("the second pass", () => outcomes.filter((o) => o.outcome === "duplicate").length === 20);

    expect(outcomes.filter((o) => o.outcome === "processed")).toHaveLength(20);
    expect(await count("effects")).toBe(20);
    expect(await count("(SELECT DISTINCT event_id FROM effects) e")).toBe(20);
    expect(await count("outbox")).toBe(20);
    expect(await count("inbox")).toBe(20);
  });

  it("retries a transient failure in place and applies its effect once", async () => {
    const { topic } = await setUp();
    const [before, flaky, after] = await events(3, 1);
    await send(
      topic,
      [before!, flaky!, after!].map(({ value }) => ({ key: "ord_0", value })),
    );
    const flakyId = flaky!.event.data.metadata.eventId;
    let failuresLeft = 2;
    const handled: string[] = [];
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      retry: { initialMs: 50, maxMs: 200 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        await recordEffect(event, tx);
        if (event.data.metadata.eventId === flakyId && failuresLeft-- > 0)
          throw new Error("deadlock-ish, try again");
        handled.push(event.data.metadata.eventId);
      },
    }).start();
    await waitFor("all three", () => handled.length === 3);

    expect(handled).toEqual([before!, flaky!, after!].map(({ event }) => event.data.metadata.eventId));
    const retried = outcomes.filter((o) => o.outcome === "retried");
    expect(retried.map((o) => [o.event?.data.metadata.eventId, o.attempt, o.error?.code])).toEqual([
      [flakyId, 1, "OUTBOX_HANDLER_FAILED"],
      [flakyId, 2, "OUTBOX_HANDLER_FAILED"],
    ]);
    // The failed attempts' writes were rolled back with them.
    expect(await count("effects")).toBe(3);
    expect(await count("outbox")).toBe(3);
  });

  it("dead-letters poison messages with the error in headers and goes on", async () => {
    const { topic, topics } = await setUp();
    const good = await events(4, 1);
    const [rejected, hopeless] = await events(2, 1);
    const unknownSchema = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x02]);
    const key = "ord_0";
    await send(topic, [
      { key, value: good[0]!.value },
      { key, value: Buffer.from("not avro at all"), headers: { origin: "fuzzer" } },
      { key, value: good[1]!.value },
      { key, value: unknownSchema },
      { key, value: null },
      { key, value: rejected!.value },
      { key, value: good[2]!.value },
      { key, value: hopeless!.value },
      { key, value: good[3]!.value },
    ]);
    const groupId = uniqueName("group");
    const metrics = new Registry();
    const handled: string[] = [];
    await consumer({
      groupId,
      topics: [topic],
      metrics,
      maxAttempts: 3,
      retry: { initialMs: 20, maxMs: 100 },
      async handle(event, tx) {
        const id = event.data.metadata.eventId;
        if (id === rejected!.event.data.metadata.eventId)
          throw Object.assign(new Error("order total does not add up"), { retryable: false });
        if (id === hopeless!.event.data.metadata.eventId) throw new Error("still broken");
        await recordEffect(event, tx);
        handled.push(id);
      },
    }).start();
    await waitFor("the good events", () => handled.length === 4);
    expect(handled).toEqual(good.map(({ event }) => event.data.metadata.eventId));

    const dead: { key: string; value: Buffer | null; headers: Record<string, string> }[] = [];
    const reader = topics.kafka.consumer({ groupId: uniqueName("dlq-reader"), maxWaitTimeInMs: 100 });
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
      await waitFor("five dead letters", () => dead.length >= 5);
    } finally {
      await reader.disconnect();
    }
    const summary = dead.map((d) => [
      d.headers[HEADERS.dlqOffset],
      d.headers[HEADERS.dlqErrorCode],
      d.headers[HEADERS.dlqCauseCode],
    ]);
    expect(summary).toEqual([
      ["1", "OUTBOX_UNDECODABLE_MESSAGE", "EVENTS_MALFORMED_PAYLOAD"],
      ["3", "OUTBOX_UNDECODABLE_MESSAGE", "EVENTS_UNKNOWN_SCHEMA"],
      ["4", "OUTBOX_UNDECODABLE_MESSAGE", undefined],
      ["5", "OUTBOX_HANDLER_FAILED", undefined],
      ["7", "OUTBOX_RETRIES_EXHAUSTED", undefined],
    ]);
    for (const letter of dead) {
      expect(letter.key).toBe(key);
      expect(letter.headers[HEADERS.dlqTopic]).toBe(topic);
      expect(letter.headers[HEADERS.dlqGroup]).toBe(groupId);
      expect(letter.headers[HEADERS.dlqErrorMessage]).toBeTruthy();
    }
    expect(dead[0]!.value?.toString()).toBe("not avro at all");
    expect(dead[0]!.headers.origin).toBe("fuzzer");
    expect(dead[3]!.value?.equals(rejected!.value)).toBe(true);
    expect(dead[4]!.headers[HEADERS.dlqAttempts]).toBe("3");

    const text = await metrics.metrics();
    expect(text).toMatch(/herald_consumer_messages_total\{[^}]*outcome="processed"[^}]*\} 4/);
    expect(text).toMatch(/herald_consumer_messages_total\{[^}]*outcome="dead_lettered"[^}]*\} 5/);
    expect(text).toMatch(
      /herald_consumer_dead_lettered_total\{[^}]*code="OUTBOX_RETRIES_EXHAUSTED"[^}]*\} 1/,
    );
    expect(text).toMatch(/herald_consumer_lag\{[^}]*\} 0/);
  });
});
