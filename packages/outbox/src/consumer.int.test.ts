import { kafkaConfig, testInfra, uniqueName } from "@herald/dev-stack/testing";
import { Kafka, logLevel } from "kafkajs";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type ConsumeReport, createConsumer } from "./consumer.js";
import { HEADERS } from "./headers.js";
import { consumerRig } from "./testing/consumer-rig.js";
import { waitFor } from "./testing/support.js";

/** Delivery: a quiet start, once-only effects, retries in place, dead letters. */
describe("the consumer", { timeout: 90_000 }, () => {
  const { rig, setUp, send, events, sendEvents, consumer, recordEffect, count, deadLetters } = consumerRig();

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
        pool: rig.db!.pool,
        serde: rig.topics!.serde,
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
    await sendEvents(topic, 20, 4);
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    const hooks = { outcome: (report: ConsumeReport) => void outcomes.push(report) };
    const first = consumer({ groupId, topics: [topic], handle: recordEffect, hooks });
    await first.start();
    await waitFor("the first pass", () => outcomes.filter((o) => o.outcome === "processed").length === 20);
    await first.stop();
    rig.consumers.splice(rig.consumers.indexOf(first), 1);

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
    const [before, flaky, after] = await sendEvents(topic, 3, 1);
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
});
