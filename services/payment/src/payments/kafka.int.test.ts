import { randomUUID } from "node:crypto";
import { testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent } from "@herald/events";
import { type ConsumeReport, type Consumer, createConsumer, createRelay, type Relay } from "@herald/outbox";
import { createTestKafka, type TestKafka } from "@herald/service-kit/testing";
import type { Consumer as KafkaConsumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, logger, orderEvents, TOTAL } from "../testing/harness.js";
import { CONSUMED_TOPICS, createPaymentReactions } from "./reactions.js";
import type { PaymentWorker } from "./worker.js";

const infra = testInfra();
const TOPICS = ["orders", "inventory", "payments"] as const;

let h: Harness;
let k: TestKafka;
let relay: Relay;
let reader: KafkaConsumer;
let worker: PaymentWorker;
const consumers: { consumer: Consumer; groupId: string; reports: ConsumeReport[] }[] = [];
const published: { key: string; event: DomainEvent }[] = [];
let sent = 0;

beforeAll(async () => {
  h = await createHarness({ latencyMs: 5 });
  k = await createTestKafka({ name: "payment_kafka", topics: TOPICS, partitions: 3 });
  relay = createRelay({ pool: h.pool, kafka: k.kafka, serde: k.serde, topicName: k.topic });
  const readerSerde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  reader = k.kafka.consumer({ groupId: uniqueName("payment_kafka_reader") });
  await reader.connect();
  await reader.subscribe({ topic: k.topic("payments"), fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      published.push({ key: String(message.key), event: await readerSerde.decode(message.value!) });
    },
  });
  worker = h.worker();
  worker.start();
  await Promise.all([relay.start(), startConsumer()]);
});

afterAll(async () => {
  await Promise.allSettled([
    worker.stop(),
    ...consumers.map(({ consumer }) => consumer.stop()),
    relay.stop(),
    reader.disconnect(),
  ]);
  await k.close(consumers.map(({ groupId }) => `${groupId}.dlq`));
  await h.close();
});

/** A payment consumer; a new group reads every message again from the start: a full replay. */
async function startConsumer() {
  const groupId = uniqueName("payment_kafka_group");
  const reports: ConsumeReport[] = [];
  const consumer = createConsumer({
    kafka: k.kafka,
    pool: h.pool,
    groupId,
    topics: CONSUMED_TOPICS.map(k.topic),
    serde: k.serde,
    handle: createPaymentReactions({ logger }),
    retry: { initialMs: 50, maxMs: 500 },
    hooks: { outcome: (report) => reports.push(report) },
  });
  await consumer.start();
  const entry = { consumer, groupId, reports };
  consumers.push(entry);
  return entry;
}

async function send(...events: DomainEvent[]): Promise<void> {
  for (const event of events) {
    await k.send(event);
    sent += 1;
  }
}

const settled = (reports: ConsumeReport[]) => reports.filter((r) => r.outcome !== "retried").length;

/** Every message consumed, no gateway work due, every outbox row on Kafka. */
async function quiet(reports: ConsumeReport[]) {
  await waitFor("every message consumed", () => settled(reports) === sent);
  await waitFor(
    "no gateway work left",
    async () => (await h.count("order_payments", "work_due_at IS NOT NULL")) === 0,
  );
  await waitFor("the outbox on Kafka", async () => published.length === (await h.count("outbox")));
}

const eventsOf = (orderId: string) => published.filter((m) => m.key === orderId).map((m) => m.event);
const paymentOf = async (orderId: string) =>
  (await h.support(`/payments?orderId=${orderId}`)).json().payments[0];

describe("payment over Kafka", () => {
  it("charges once per order, refunds once, through redelivery, duplicates and a full replay", async () => {
    const ids = {
      placedFirst: randomUUID(),
      reservedFirst: randomUUID(),
      cancelledFirst: randomUUID(),
      flaky: randomUUID(),
      declined: randomUUID(),
    };
    const placedFirst = orderEvents(ids.placedFirst);
    const reservedFirst = orderEvents(ids.reservedFirst, "tok_mastercard");
    const cancelledFirst = orderEvents(ids.cancelledFirst);
    const flaky = orderEvents(ids.flaky, "tok_gateway_error");
    const declined = orderEvents(ids.declined, "tok_declined");

    const upstream = [
      placedFirst.placed(),
      placedFirst.reserved(),
      reservedFirst.reserved(),
      reservedFirst.placed(),
      cancelledFirst.cancelled(),
      cancelledFirst.placed(),
      cancelledFirst.reserved(),
      flaky.placed(),
      flaky.reserved(),
      declined.placed(),
      declined.reserved(),
    ];
    await send(...upstream);
    const [first] = consumers;
    await quiet(first!.reports);
    expect(eventsOf(ids.placedFirst).map((e) => e.type)).toEqual(["PaymentProcessed"]);

    // Redelivery (the same events again) and duplicates under new event ids, then the cancellation three ways.
    const cancel = placedFirst.cancelled();
    await send(...upstream, ...upstream.map((event) => placedFirst.again(event)), cancel, cancel);
    await send(placedFirst.again(cancel));
    await quiet(first!.reports);
    expect(first!.reports.filter((r) => r.outcome === "duplicate")).toHaveLength(upstream.length + 1);

    // A full replay: a new group reads every offset again; the inbox does not know its ids.
    const replay = await startConsumer();
    await quiet(replay.reports);
    // Each distinct event id is handled again (its repeats are still duplicates within the group).
    expect(replay.reports.filter((r) => r.outcome === "processed")).toHaveLength(sent - upstream.length - 1);

    expect(eventsOf(ids.placedFirst)).toMatchObject([
      { type: "PaymentProcessed", data: { orderId: ids.placedFirst, amount: TOTAL } },
      { type: "PaymentRefunded", data: { orderId: ids.placedFirst, amount: TOTAL } },
    ]);
    expect(eventsOf(ids.reservedFirst)).toMatchObject([
      { type: "PaymentProcessed", data: { amount: TOTAL } },
    ]);
    expect(eventsOf(ids.cancelledFirst)).toEqual([]);
    expect(eventsOf(ids.flaky).map((e) => e.type)).toEqual(["PaymentProcessed"]);
    expect(eventsOf(ids.declined)).toMatchObject([
      { type: "PaymentFailed", data: { reason: "CARD_DECLINED", detail: expect.any(String) } },
    ]);

    expect(await paymentOf(ids.placedFirst)).toMatchObject({ status: "REFUNDED", attempts: 1 });
    expect(await paymentOf(ids.flaky)).toMatchObject({ status: "PROCESSED", attempts: 2 });
    expect(await paymentOf(ids.cancelledFirst)).toBeUndefined();
    const ledger = await h.pool.query<{ idempotency_key: string; calls: number }>(
      "SELECT idempotency_key, calls FROM gateway_simulator_ledger WHERE result = 'succeeded' ORDER BY 1",
    );
    expect(ledger.rows.map((row) => row.idempotency_key).sort()).toEqual(
      [ids.placedFirst, `${ids.placedFirst}:refund`, ids.reservedFirst, ids.flaky].sort(),
    );
    expect(ledger.rows.find((row) => row.idempotency_key === ids.flaky)?.calls).toBe(2);
    expect(consumers.flatMap(({ reports }) => reports.filter((r) => r.outcome === "dead_lettered"))).toEqual(
      [],
    );
  });
});
