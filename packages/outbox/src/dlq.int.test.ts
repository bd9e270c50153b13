import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { kafkaLoginEnvironment, testInfra, uniqueName } from "@herald/dev-stack/testing";
import type { DomainEvent } from "@herald/events";
import { describe, expect, it } from "vitest";
import { type ConsumeReport, type Consumer, type ConsumerOptions, createConsumer } from "./consumer.js";
import { redriveDeadLetters } from "./dlq.js";
import { HEADERS } from "./headers.js";
import { startRedrive } from "./parked-keys.js";
import { outboxRig } from "./testing/outbox-rig.js";
import { orderPlaced, type TestDatabase, type TestTopics, waitFor } from "./testing/support.js";

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));

describe("the dead-letter tool", { timeout: 120_000 }, () => {
  const rig = outboxRig();

  /** The test's outbox and topics, with a producer to the orders topic, all released after the test. */
  async function setUp() {
    const { db, topics } = await rig.setUp({ prefix: "dlq_test", collect: false });
    const producer = rig.release(
      topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
      (made) => made.disconnect(),
    );
    await producer.connect();
    return { db, topics, topic: topics.name("orders"), producer };
  }

  /** A consumer of the test's topics and outbox (not started), stopped after the test. */
  function consumerOf(
    db: TestDatabase,
    topics: TestTopics,
    options: Omit<ConsumerOptions, "kafka" | "pool" | "serde" | "consumerConfig">,
  ): Consumer {
    const created = createConsumer({
      kafka: topics.kafka,
      pool: db.pool,
      serde: topics.serde,
      consumerConfig: { maxWaitTimeInMs: 500 },
      ...options,
    });
    return rig.release(created, (made) => made.stop());
  }

  /** `npm run dlq -- <args>` as an operator runs it, against this test's database and broker. */
  async function dlq(...args: string[]): Promise<string> {
    const { stdout } = await run("npm", ["run", "--silent", "dlq", "--", ...args], {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        DATABASE_URL: rig.db!.url,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(","),
        ...kafkaLoginEnvironment(testInfra().kafkaLogin),
      },
    });
    return stdout;
  }

  it("lists a group's dead letters and parked keys, and redrives them in order", async () => {
    const { db, topics, topic, producer } = await setUp();
    const a = [1, 2, 3, 4, 5].map((n) => orderPlaced("ord_a", n));
    const b = [1, 2].map((n) => orderPlaced("ord_b", n));
    const send = async (events: DomainEvent[]) =>
      producer.send({
        topic,
        messages: await Promise.all(
          events.map(async (event) => ({
            key: "orderId" in event.data ? event.data.orderId : null,
            value: await topics.serde.encode(event),
          })),
        ),
      });
    const idOf = (event: DomainEvent) => event.data.metadata.eventId;
    const name = new Map([
      ...a.map((e, i) => [idOf(e), `a${i + 1}`] as const),
      ...b.map((e, i) => [idOf(e), `b${i + 1}`] as const),
    ]);

    let rejectA2 = true;
    const handled: string[] = [];
    const outcomes: ConsumeReport[] = [];
    const groupId = uniqueName("group");
    const consumer = consumerOf(db, topics, {
      groupId,
      topics: [topic],
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event) {
        if (rejectA2 && idOf(event) === idOf(a[1]!))
          throw Object.assign(new Error("no such customer"), { retryable: false });
        handled.push(name.get(idOf(event))!);
      },
    });
    await consumer.start();
    await send([a[0]!, b[0]!, a[1]!, a[2]!, b[1]!]);
    await waitFor("a1..a3 and b1, b2", () => outcomes.length === 5);
    rejectA2 = false; // the bug is fixed and deployed
    await send([a[3]!]);
    await waitFor("a4 parked", () => outcomes.length === 6);
    expect([...handled].sort()).toEqual(["a1", "b1", "b2"]);

    const listed = await dlq("list", groupId);
    expect(listed).toContain(`1 parked key of ${groupId}`);
    expect(listed).toMatch(/ord_a .*OUTBOX_HANDLER_FAILED/);
    expect(listed).toContain(`3 dead letters of ${groupId} not yet redriven`);
    expect(listed.match(/OUTBOX_KEY_PARKED/g)).toHaveLength(2);

    handled.length = 0;
    const redriven = await dlq("redrive", groupId);
    expect(redriven).toContain(`redrove 3 dead letters of ${groupId}`);
    await waitFor("a2..a4 applied", () => handled.length === 3);
    expect(handled).toEqual(["a2", "a3", "a4"]);
    const { rows } = await db.pool.query("SELECT * FROM consumer_parked_keys");
    expect(rows).toEqual([]);

    // Released: the key's next event is applied straight away, and nothing is left to redrive.
    await send([a[4]!]);
    await waitFor("a5 applied", () => handled.length === 4);
    expect(handled).toEqual(["a2", "a3", "a4", "a5"]);
    const after = await dlq("list", groupId);
    expect(after).toContain(`0 parked keys of ${groupId}`);
    expect(after).toContain(`0 dead letters of ${groupId} not yet redriven`);
  });

  it("keeps a key parked when a live event of it overtakes its redrive; the next redrive applies all in order", async () => {
    const { db, topics, topic, producer } = await setUp();
    const [a1, a2] = [1, 2].map((n) => orderPlaced("ord_a", n));
    const encoded = async (event: DomainEvent, headers: Record<string, string> = {}) => ({
      key: "ord_a",
      value: await topics.serde.encode(event),
      headers,
    });
    const idOf = (event: DomainEvent) => event.data.metadata.eventId;
    let rejectA1 = true;
    const handled: string[] = [];
    const outcomes: ConsumeReport[] = [];
    const groupId = uniqueName("group");
    let consumer: Consumer | undefined;
    const start = async () => {
      consumer = consumerOf(db, topics, {
        groupId,
        topics: [topic],
        hooks: { outcome: (report) => void outcomes.push(report) },
        async handle(event) {
          if (rejectA1 && idOf(event) === idOf(a1!))
            throw Object.assign(new Error("no such customer"), { retryable: false });
          handled.push(idOf(event) === idOf(a1!) ? "a1" : "a2");
        },
      });
      await consumer.start();
    };
    await start();
    await producer.send({ topic, messages: [await encoded(a1!)] });
    await waitFor("a1 dead-lettered", () => outcomes.some((o) => o.outcome === "dead_lettered"));
    await consumer!.stop();
    rejectA1 = false;

    // A redrive has marked the key and is about to re-publish a1, when a live a2 lands first.
    await startRedrive(db.pool, groupId, ["ord_a"], "redrive-1");
    await producer.send({
      topic,
      messages: [
        await encoded(a2!),
        await encoded(a1!, { [HEADERS.redriveToken]: "redrive-1", [HEADERS.redriveLast]: "true" }),
      ],
    });
    await start();
    await waitFor("a2 and the redriven a1 dead-lettered", () => outcomes.length === 3);
    expect(outcomes.map((o) => [o.outcome, o.error?.code])).toEqual([
      ["dead_lettered", "OUTBOX_HANDLER_FAILED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
    ]);
    expect(handled).toEqual([]);

    const result = await redriveDeadLetters({ kafka: topics.kafka, pool: db.pool, groupId });
    expect(result).toEqual({ redriven: 3, releasing: ["ord_a"] });
    await waitFor("the redrive handled", () => outcomes.length === 6);
    expect(handled).toEqual(["a1", "a2"]);
    expect(outcomes.slice(3).map((o) => o.outcome)).toEqual(["processed", "processed", "duplicate"]);
    expect((await db.pool.query("SELECT * FROM consumer_parked_keys")).rows).toEqual([]);
  });
});
