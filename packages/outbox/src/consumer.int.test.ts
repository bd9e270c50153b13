import { kafkaConfig, testInfra, uniqueName } from "@herald/dev-stack/testing";
import { createEventSerde, createMetadata, type DomainEvent, type EventOf } from "@herald/events";
import { type IHeaders, Kafka, logLevel, type Producer } from "kafkajs";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type ConsumeReport, type Consumer, createConsumer } from "./consumer.js";
import { enqueue } from "./enqueue.js";
import { HEADERS } from "./headers.js";
import { withSavepoint } from "./savepoint.js";
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

  async function send(
    topic: string,
    messages: { key: string; value: Buffer | null; headers?: IHeaders; partition?: number }[],
  ) {
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
    const { rows } = await db!.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
    return rows[0]!.n;
  }

  type DeadLetter = { key: string; value: Buffer | null; headers: Record<string, string> };

  /** Reads `groupId`'s dead-letter topic from the beginning until `expected` letters arrived. */
  async function deadLetters(groupId: string, expected: number): Promise<DeadLetter[]> {
    const dead: DeadLetter[] = [];
    const reader = topics!.kafka.consumer({ groupId: uniqueName("dlq-reader"), maxWaitTimeInMs: 100 });
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

  it("starts quietly when its topics and dead-letter topic already exist", async () => {
    const { topic } = await setUp();
    const kafka = new Kafka({
      clientId: "quiet-start",
      ...kafkaConfig(testInfra()),
      logLevel: logLevel.NOTHING,
    });
    // The requests each start's admin client sent, by Kafka API name (kafkajs's request events).
    const requests: string[] = [];
    const admin = kafka.admin.bind(kafka);
    kafka.admin = (config) => {
      const client = admin(config);
      client.on(client.events.REQUEST, (event) => requests.push(event.payload.apiName));
      return client;
    };
    const groupId = uniqueName("quiet");
    const sent: string[][] = [];
    for (let start = 0; start < 2; start++) {
      const quiet = createConsumer({
        kafka,
        pool: db!.pool,
        serde: topics!.serde,
        groupId,
        topics: [topic],
        consumerConfig: { maxWaitTimeInMs: 500 },
        handle: async () => {},
      });
      await quiet.start();
      await quiet.stop();
      sent.push(requests.splice(0));
    }
    // The first start creates the missing dead-letter topic; the second finds everything and asks
    // the broker to create nothing (it would answer with errors that kafkajs logs).
    expect(sent[0]).toContain("CreateTopics");
    expect(sent[1]).toContain("Metadata");
    expect(sent[1]!.filter((api) => api === "CreateTopics")).toEqual([]);
  });

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
    const { topic } = await setUp();
    const good = await events(4, 1);
    const [rejected, hopeless] = await events(2, 1);
    const unknownSchema = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x02]);
    const key = "ord_0";
    // Each poison message has a key of its own: a dead-lettered key is parked, and ord_0 must go on.
    const poison = (n: number) => `poison_${n}`;
    await send(
      topic,
      [
        { key, value: good[0]!.value },
        { key: poison(1), value: Buffer.from("not avro at all"), headers: { origin: "fuzzer" } },
        { key, value: good[1]!.value },
        { key: poison(3), value: unknownSchema },
        { key: poison(4), value: null },
        { key: poison(5), value: rejected!.value },
        { key, value: good[2]!.value },
        { key: poison(7), value: hopeless!.value },
        { key, value: good[3]!.value },
      ].map((message) => ({ ...message, partition: 0 })),
    );
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

    const dead = (await deadLetters(groupId, 5)).sort(
      (a, b) => Number(a.headers[HEADERS.dlqOffset]) - Number(b.headers[HEADERS.dlqOffset]),
    );
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
      expect(letter.key).toBe(poison(Number(letter.headers[HEADERS.dlqOffset])));
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
  it("does not report a transaction that COMMIT rolled back as processed", async () => {
    const { topic, db } = await setUp();
    await db.pool.query("CREATE TABLE claims (order_id text PRIMARY KEY)");
    await db.pool.query("INSERT INTO claims VALUES ('ord_1')");
    const sent = await events(2, 2);
    await send(
      topic,
      sent.map(({ event, value }) => ({ key: event.data.orderId, value })),
    );
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId,
      topics: [topic],
      maxAttempts: 2,
      retry: { initialMs: 20, maxMs: 50 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        await recordEffect(event, tx);
        // "Insert, ignore a unique violation" without a savepoint: the transaction is now aborted.
        await tx.query("INSERT INTO claims VALUES ($1)", [orderIdOf(event)]).catch(() => {});
      },
    }).start();
    await waitFor("both outcomes", () => sent.every(({ event }) => finalOutcome(outcomes, event)));

    expect(finalOutcome(outcomes, sent[0]!.event)?.outcome).toBe("processed");
    const rolledBack = finalOutcome(outcomes, sent[1]!.event);
    expect([rolledBack?.outcome, rolledBack?.error?.code]).toEqual([
      "dead_lettered",
      "OUTBOX_RETRIES_EXHAUSTED",
    ]);
    expect(outcomes.filter((o) => o.outcome === "retried").map((o) => o.error?.code)).toEqual([
      "OUTBOX_TRANSACTION_ROLLED_BACK",
    ]);
    const [letter] = await deadLetters(groupId, 1);
    expect(letter!.headers[HEADERS.dlqCauseCode]).toBe("OUTBOX_TRANSACTION_ROLLED_BACK");
    expect(await count("inbox")).toBe(1);
    expect(await count("effects")).toBe(1);
    expect(await count("outbox")).toBe(1);
  });

  it("lets a handler swallow an expected database error under withSavepoint", async () => {
    const { topic, db } = await setUp();
    await db.pool.query("CREATE TABLE claims (order_id text PRIMARY KEY)");
    await db.pool.query("INSERT INTO claims VALUES ('ord_1')");
    const sent = await events(2, 2);
    await send(
      topic,
      sent.map(({ event, value }) => ({ key: event.data.orderId, value })),
    );
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        await recordEffect(event, tx);
        await withSavepoint(tx, () => tx.query("INSERT INTO claims VALUES ($1)", [orderIdOf(event)])).catch(
          (error: { code?: string }) => {
            if (error.code !== "23505") throw error;
          },
        );
      },
    }).start();
    await waitFor("both processed", () => outcomes.filter((o) => o.outcome === "processed").length === 2);

    expect(outcomes.map((o) => o.outcome)).toEqual(["processed", "processed"]);
    expect(await count("inbox")).toBe(2);
    expect(await count("effects")).toBe(2);
    expect(await count("outbox")).toBe(2);
    expect(await count("claims")).toBe(2);
  });

  it("retries a failure of the outbox itself without limit instead of dead-lettering, and says so", async () => {
    const { topic, db } = await setUp();
    // No partition for new outbox rows: enqueue in the handler fails with OUTBOX_NO_PARTITION.
    const { rows } = await db.pool.query<{ name: string }>(
      "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'outbox'::regclass",
    );
    for (const { name } of rows) await db.pool.query(`DROP TABLE ${name}`);
    const [sent] = await events(1, 1);
    await send(topic, [{ key: sent!.event.data.orderId, value: sent!.value }]);
    const groupId = uniqueName("group");
    const metrics = new Registry();
    const outcomes: ConsumeReport[] = [];
    const blocked: string[] = [];
    const created = consumer({
      groupId,
      topics: [topic],
      metrics,
      maxAttempts: 2,
      retryBudgetMs: 100,
      retry: { initialMs: 10, maxMs: 20 },
      hooks: {
        outcome: (report) => void outcomes.push(report),
        blocked: (error) => void blocked.push(error?.code ?? "unblocked"),
      },
      handle: recordEffect,
    });
    await created.start();
    await waitFor("several retries", () => outcomes.filter((o) => o.outcome === "retried").length >= 6);

    expect(outcomes.every((o) => o.outcome === "retried" && o.error?.code === "OUTBOX_NO_PARTITION")).toBe(
      true,
    );
    expect(created.health().blocked?.error.code).toBe("OUTBOX_NO_PARTITION");
    expect(await metrics.metrics()).toMatch(/herald_consumer_blocked_partitions\{[^}]*\} 1/);

    await db.pool.query("CREATE TABLE outbox_repaired PARTITION OF outbox FOR VALUES FROM (1) TO (1000000)");
    await waitFor("the event processed", () => outcomes.some((o) => o.outcome === "processed"));

    expect(outcomes.filter((o) => o.outcome === "dead_lettered")).toEqual([]);
    expect(blocked).toEqual(["OUTBOX_NO_PARTITION", "unblocked"]);
    expect(created.health().blocked).toBeUndefined();
    expect(await metrics.metrics()).toMatch(/herald_consumer_blocked_partitions\{[^}]*\} 0/);
    expect(await count("effects")).toBe(1);
  });

  it("retries a handler's unreachable registry without limit instead of dead-lettering", async () => {
    const { topic } = await setUp();
    const [sent] = await events(1, 1);
    await send(topic, [{ key: sent!.event.data.orderId, value: sent!.value }]);
    const unreachable = createEventSerde({ registryUrl: "http://127.0.0.1:9/apis/ccompat/v7" });
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      maxAttempts: 2,
      retryBudgetMs: 0,
      retry: { initialMs: 10, maxMs: 20 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        // A handler that needs the registry (e.g. to encode a payload for a third party).
        const serde = outcomes.length < 4 ? unreachable : topics!.serde;
        await serde.encode(event);
        await recordEffect(event, tx);
      },
    }).start();
    await waitFor("the final outcome", () => outcomes.some((o) => o.outcome !== "retried"));

    expect(outcomes.map((o) => [o.outcome, o.error?.code])).toEqual([
      ...Array.from({ length: 4 }, () => ["retried", "OUTBOX_REGISTRY_UNAVAILABLE"]),
      ["processed", undefined],
    ]);
  });

  it("gives a failing message a retry budget in time, not a few quick attempts", async () => {
    const { topic } = await setUp();
    const [sent] = await events(1, 1);
    await send(topic, [{ key: sent!.event.data.orderId, value: sent!.value }]);
    const outcomes: ConsumeReport[] = [];
    const startedAt = Date.now();
    let deadAt = 0;
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      retryBudgetMs: 1_500,
      retry: { initialMs: 20, maxMs: 100 },
      hooks: {
        outcome: (report) => {
          outcomes.push(report);
          if (report.outcome === "dead_lettered") deadAt = Date.now();
        },
      },
      async handle() {
        throw new Error("the payment provider is down");
      },
    }).start();
    await waitFor("the dead letter", () => deadAt > 0);

    const failures = outcomes.filter((o) => o.outcome === "retried");
    expect(deadAt - startedAt).toBeGreaterThanOrEqual(1_500);
    expect(failures.length).toBeGreaterThan(5);
    expect(outcomes.at(-1)?.error?.code).toBe("OUTBOX_RETRIES_EXHAUSTED");
  });

  it("parks a dead-lettered key: its later events follow it to the DLQ, also after a restart", async () => {
    const { topic, db } = await setUp();
    const a = [1, 2, 3, 4].map((n) => orderPlaced("ord_a", n));
    const b = [1, 2, 3, 4].map((n) => orderPlaced("ord_b", n));
    const encode = async (event: DomainEvent) => ({
      key: orderIdOf(event),
      value: await topics!.serde.encode(event),
    });
    await send(topic, await Promise.all([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!].map(encode)));
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    const poison = idOf(a[1]!);
    const options = {
      groupId,
      topics: [topic],
      hooks: { outcome: (report: ConsumeReport) => void outcomes.push(report) },
    };
    const first = consumer({
      ...options,
      async handle(event, tx) {
        if (idOf(event) === poison)
          throw Object.assign(new Error("order total does not add up"), { retryable: false });
        await recordEffect(event, tx);
      },
    });
    await first.start();
    await waitFor("six outcomes", () =>
      [...a.slice(0, 3), ...b.slice(0, 3)].every((e) => finalOutcome(outcomes, e)),
    );
    await first.stop();
    consumers.splice(consumers.indexOf(first), 1);

    // A restart, with a handler that would now accept everything: ord_a stays parked until redriven.
    await consumer({ ...options, handle: recordEffect }).start();
    await send(topic, await Promise.all([a[3]!, b[3]!].map(encode)));
    await waitFor("eight outcomes", () => [...a, ...b].every((e) => finalOutcome(outcomes, e)));

    const summary = (events: DomainEvent[]) =>
      events.map((e) => {
        const report = finalOutcome(outcomes, e);
        return [report?.outcome, report?.error?.code];
      });
    expect(summary(b)).toEqual(b.map(() => ["processed", undefined]));
    expect(summary(a)).toEqual([
      ["processed", undefined],
      ["dead_lettered", "OUTBOX_HANDLER_FAILED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
    ]);
    const letters = await deadLetters(groupId, 3);
    expect(
      letters.map((l) => [l.key, l.headers[HEADERS.eventId] ?? l.headers[HEADERS.dlqErrorCode]]),
    ).toHaveLength(3);
    expect(letters.map((l) => l.headers[HEADERS.dlqErrorCode])).toEqual([
      "OUTBOX_HANDLER_FAILED",
      "OUTBOX_KEY_PARKED",
      "OUTBOX_KEY_PARKED",
    ]);
    const { rows } = await db.pool.query(
      "SELECT consumer_group, message_key, error_code FROM consumer_parked_keys",
    );
    expect(rows).toEqual([
      { consumer_group: groupId, message_key: "ord_a", error_code: "OUTBOX_HANDLER_FAILED" },
    ]);
    expect(await count("effects WHERE order_id = 'ord_a'")).toBe(1);
  });
});
