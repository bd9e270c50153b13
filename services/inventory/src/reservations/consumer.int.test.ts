import { randomUUID } from "node:crypto";
import { testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent, type TopicName } from "@herald/events";
import {
  type ConsumeReport,
  type Consumer,
  createConsumer,
  createRelay,
  HEADERS,
  type Relay,
} from "@herald/outbox";
import { createTestKafka, type TestKafka } from "@herald/service-kit/testing";
import type { Consumer as KafkaConsumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  followUp,
  type Harness,
  orderLine,
  orderPlaced,
  reservationOf,
  withNewEventId,
} from "../testing/harness.js";
import { CONSUMED_TOPICS } from "./reactions.js";

const infra = testInfra();
const TOPICS: readonly TopicName[] = ["orders", "payments", "inventory"];

let h: Harness;
let groupId: string;
let k: TestKafka;
let relay: Relay;
let consumer: Consumer;
let reader: KafkaConsumer;
let reports: ConsumeReport[];
const published: { key: string; headers: Record<string, string>; event: DomainEvent }[] = [];
const dlq: { key: string; headers: Record<string, string> }[] = [];

function startConsumer(): Consumer {
  return createConsumer({
    kafka: k.kafka,
    pool: h.pool,
    groupId,
    topics: CONSUMED_TOPICS.map(k.topic),
    serde: k.serde,
    handle: h.reactions,
    retry: { initialMs: 50, maxMs: 200 },
    hooks: { outcome: (report) => reports.push(report) },
  });
}

const headersOf = (headers: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));

beforeAll(async () => {
  h = await createHarness();
  await h.setStock("KAFKA-MUG", 10);
  await h.setStock("KAFKA-TEE", 10);
  groupId = uniqueName("inventory_it_group");
  // The service's own topics, prefixed for this run: the relay and the consumer map contract names to them.
  k = await createTestKafka({
    name: "inventory_it",
    topics: TOPICS,
    partitions: 2,
    extraTopics: [`${groupId}.dlq`],
  });
  relay = createRelay({ pool: h.pool, kafka: k.kafka, serde: k.serde, topicName: k.topic });
  reports = [];
  consumer = startConsumer();

  // Decodes with a serde of its own, so what it reads went through the registry.
  const readerSerde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  reader = k.kafka.consumer({ groupId: uniqueName("inventory_it_reader") });
  await reader.connect();
  await reader.subscribe({ topics: [k.topic("inventory"), `${groupId}.dlq`], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic: from, message }) => {
      const key = String(message.key);
      const headers = headersOf(message.headers);
      if (from === `${groupId}.dlq`) dlq.push({ key, headers });
      else published.push({ key, headers, event: await readerSerde.decode(message.value!) });
    },
  });
  await Promise.all([relay.start(), consumer.start()]);
});

afterAll(async () => {
  await Promise.allSettled([consumer?.stop(), relay?.stop(), reader?.disconnect()]);
  await k?.close();
  await h?.close();
});

/** Publishes an order or payment event the way that service's relay would: Avro, keyed by order id. */
const send = (event: DomainEvent): Promise<void> => k.send(event);

const outcomeOf = (event: DomainEvent, outcome: ConsumeReport["outcome"]) =>
  waitFor(`${event.type} ${outcome}`, () =>
    reports.find(
      (r) => r.event?.data.metadata.eventId === event.data.metadata.eventId && r.outcome === outcome,
    ),
  );
type OrderLine = ReturnType<typeof orderLine>;

/** Sends the OrderPlaced of two new orders of one line each, the first one first; answers both. */
async function sendOrders(first: OrderLine, second: OrderLine) {
  const placed = [orderPlaced(randomUUID(), [first]), orderPlaced(randomUUID(), [second])] as const;
  for (const event of placed) await send(event);
  return placed;
}
const onKafka = (orderId: string) => published.filter((m) => m.key === orderId);

describe("the inventory reactions on the real consumer runtime", () => {
  it("reserves once, whatever is redelivered, and releases once on cancellation, as seen in Postgres and Kafka", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("KAFKA-MUG", 4), orderLine("KAFKA-TEE", 1)]);
    const again = withNewEventId(placed);
    await send(placed);
    await send(placed);
    await send(again);
    await outcomeOf(placed, "processed");
    await outcomeOf(placed, "duplicate");
    await outcomeOf(again, "processed");

    const reserved = await waitFor("InventoryReserved on Kafka", () => onKafka(orderId)[0]);
    expect(reserved.event).toMatchObject(
      reservationOf(placed, [
        { sku: "KAFKA-MUG", quantity: 4 },
        { sku: "KAFKA-TEE", quantity: 1 },
      ]),
    );
    expect(reserved.headers).toMatchObject({
      [HEADERS.eventType]: "InventoryReserved",
      [HEADERS.correlationId]: placed.data.metadata.correlationId,
    });
    expect(await h.stock("KAFKA-MUG")).toEqual({ onHand: 10, reserved: 4 });

    const cancelled = followUp("OrderCancelled", placed);
    await send(cancelled);
    await send(withNewEventId(cancelled));
    // Per-order order holds on Kafka: once the release is there, any second reservation would be too.
    const released = await waitFor("InventoryReleased on Kafka", () => onKafka(orderId)[1]);
    expect(released.event).toMatchObject({
      type: "InventoryReleased",
      data: { orderId, metadata: { causationId: cancelled.data.metadata.eventId } },
    });
    await waitFor(
      "the second cancellation handled",
      () =>
        reports.filter((r) => r.event?.type === "OrderCancelled" && r.event.data.orderId === orderId)
          .length >= 2,
    );
    expect(await h.stock("KAFKA-MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.stock("KAFKA-TEE")).toEqual({ onHand: 10, reserved: 0 });
    expect((await h.outbox(orderId)).map((row) => row.type)).toEqual([
      "InventoryReserved",
      "InventoryReleased",
    ]);
  });

  it("sells on confirmation, restocks when the sale is cancelled, and releases on a payment failure", async () => {
    const [sold, unpaid] = await sendOrders(orderLine("KAFKA-MUG", 2), orderLine("KAFKA-TEE", 3));
    await send(followUp("OrderConfirmed", sold));
    // Payment fails only after it saw InventoryReserved; the two topics are not ordered between them.
    await waitFor("the reservation to fail the payment of", () => onKafka(unpaid.data.orderId)[0]);
    await send(followUp("PaymentFailed", unpaid));
    await waitFor("the payment failure released", () => onKafka(unpaid.data.orderId)[1]);
    await waitFor("the sale", async () => (await h.reservationStatus(sold.data.orderId)) === "SOLD");
    expect(await h.stock("KAFKA-MUG")).toEqual({ onHand: 8, reserved: 0 });
    expect(await h.stock("KAFKA-TEE")).toEqual({ onHand: 10, reserved: 0 });

    await send(followUp("OrderCancelled", sold));
    const restocked = await waitFor("InventoryReleased after the sale", () => onKafka(sold.data.orderId)[1]);
    expect(restocked.event).toMatchObject({
      type: "InventoryReleased",
      data: { lines: [{ sku: "KAFKA-MUG", quantity: 2 }] },
    });
    expect(await h.stock("KAFKA-MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(onKafka(unpaid.data.orderId).map((m) => m.event.type)).toEqual([
      "InventoryReserved",
      "InventoryReleased",
    ]);
  });

  it("dead-letters an order with a non-positive quantity, writes nothing for it, and keeps going", async () => {
    const [bad, good] = await sendOrders(orderLine("KAFKA-MUG", 0), orderLine("KAFKA-MUG", 1));
    await outcomeOf(bad, "dead_lettered");
    await waitFor("the next order reserved", () => onKafka(good.data.orderId)[0]);
    const letter = await waitFor("the dead letter", () => dlq.find((m) => m.key === bad.data.orderId));
    expect(letter.headers).toMatchObject({ "herald-dlq-error-code": expect.any(String) });
    expect(await h.reservationStatus(bad.data.orderId)).toBeUndefined();
    expect(await h.outbox(bad.data.orderId)).toEqual([]);
  });

  it("changes nothing when the whole topic is consumed again from offset 0", async () => {
    const before = {
      stock: await h.pool.query("SELECT * FROM stock ORDER BY sku").then((r) => r.rows),
      reservations: await h.pool.query("SELECT * FROM reservations ORDER BY order_id").then((r) => r.rows),
      outbox: await h.count("outbox"),
    };
    const handledBefore = reports.filter(
      (r) => r.outcome === "processed" || r.outcome === "duplicate",
    ).length;
    await consumer.stop();
    for (const name of CONSUMED_TOPICS)
      await k.admin.resetOffsets({ groupId, topic: k.topic(name), earliest: true });
    const replayed = reports.length;
    consumer = startConsumer();
    await consumer.start();
    // Every message read again (the dead-lettered one is parked and goes straight back to the DLQ).
    await waitFor("the replay", () => reports.length - replayed >= handledBefore);
    const replay = reports.slice(replayed);
    expect(replay.filter((r) => r.outcome === "processed")).toEqual([]);
    expect(await h.pool.query("SELECT * FROM stock ORDER BY sku").then((r) => r.rows)).toEqual(before.stock);
    expect(await h.pool.query("SELECT * FROM reservations ORDER BY order_id").then((r) => r.rows)).toEqual(
      before.reservations,
    );
    expect(await h.count("outbox")).toBe(before.outbox);
  });
});
