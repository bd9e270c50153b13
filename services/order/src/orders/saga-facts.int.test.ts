import { kafkaConfig, testInfra, uniqueName } from "@herald/dev-stack/testing";
import {
  createEventSerde,
  createMetadata,
  type DomainEvent,
  type EventSerde,
  keyOf,
  type TopicName,
} from "@herald/events";
import { type ConsumeReport, type Consumer, createConsumer } from "@herald/outbox";
import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type Harness, logger, VALID_ORDER_TOTAL, validOrder } from "../testing/harness.js";
import { readStream } from "./event-store.js";
import { createSagaHandler, SAGA_TOPICS } from "./saga.js";

const infra = testInfra();

let h: Harness;
let prefix: string;
let groupId: string;
let kafka: Kafka;
let admin: Admin;
let serde: EventSerde;
let consumer: Consumer;
let producer: Producer;
let reports: ConsumeReport[];

const topic = (name: TopicName) => `${prefix}.${name}`;

beforeEach(async () => {
  h = await createHarness();
  prefix = uniqueName("order_facts");
  groupId = uniqueName("order_facts_group");
  kafka = new Kafka({ clientId: "order-facts-test", ...kafkaConfig(infra), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: (["inventory", "payments"] as const).map((name) => ({ topic: topic(name), numPartitions: 2 })),
    waitForLeaders: true,
  });
  serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  await serde.register();
  reports = [];
  consumer = createConsumer({
    kafka,
    pool: h.pool,
    groupId,
    topics: SAGA_TOPICS.map(topic),
    serde,
    handle: createSagaHandler(h.handler, logger),
    retry: { initialMs: 50, maxMs: 500 },
    hooks: { outcome: (report) => reports.push(report) },
  });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await consumer.start();
});

afterEach(async () => {
  await Promise.allSettled([consumer.stop(), producer.disconnect()]);
  await admin
    .deleteTopics({ topics: [...(["inventory", "payments"] as const).map(topic), `${groupId}.dlq`] })
    .catch(() => {});
  await admin.disconnect();
  await h.close();
});

async function handled(eventId: string, timeoutMs = 20_000): Promise<ConsumeReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = reports.find((r) => r.event?.data.metadata.eventId === eventId && r.outcome !== "retried");
    if (report) return report;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the consumer to handle ${eventId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function send(event: DomainEvent, name: "inventory" | "payments"): Promise<void> {
  await producer.send({
    topic: topic(name),
    messages: [{ key: keyOf(event), value: await serde.encode(event) }],
  });
}

async function placeOrder() {
  const { shippingAddress, ...order } = validOrder();
  const { body } = await h.handler.place(
    { ...order, shippingAddress: { ...shippingAddress, line2: null, region: null } },
    {},
  );
  const [placed] = await readStream(h.pool, body.orderId);
  return { orderId: body.orderId, cause: placed!.event.data.metadata };
}

describe("facts that contradict the order", () => {
  it("dead-letters a reservation of other lines at once, and the order does not move", async () => {
    const { orderId, cause } = await placeOrder();
    const wrongLines: DomainEvent = {
      type: "InventoryReserved",
      data: {
        metadata: createMetadata({ producer: "inventory", cause }),
        orderId,
        lines: [{ sku: "HRL-MUG-BLUE", quantity: 20 }],
      },
    };
    await send(wrongLines, "inventory");

    const report = await handled(wrongLines.data.metadata.eventId);
    expect(report).toMatchObject({ outcome: "dead_lettered", attempt: 1 });
    expect(report.error).toMatchObject({ code: "OUTBOX_HANDLER_FAILED", retryable: false });
    expect(report.error?.cause).toMatchObject({ code: "ORDER_SAGA_FACT_MISMATCH" });
    expect((await h.handler.get(orderId)).status).toBe("PLACED");
    expect((await readStream(h.pool, orderId)).map((recorded) => recorded.event.type)).toEqual([
      "OrderPlaced",
    ]);
  });

  it("dead-letters a PaymentProcessed of another amount instead of confirming the order", async () => {
    const { orderId, cause } = await placeOrder();
    const reserved: DomainEvent = {
      type: "InventoryReserved",
      data: {
        metadata: createMetadata({ producer: "inventory", cause }),
        orderId,
        lines: validOrder().items,
      },
    };
    const underpaid: DomainEvent = {
      type: "PaymentProcessed",
      data: {
        metadata: createMetadata({ producer: "payment", cause }),
        orderId,
        paymentId: "pay-1",
        amount: { ...VALID_ORDER_TOTAL, amountMinor: 1 },
      },
    };
    await send(reserved, "inventory");
    expect((await handled(reserved.data.metadata.eventId)).outcome).toBe("processed");
    await send(underpaid, "payments");

    const report = await handled(underpaid.data.metadata.eventId);
    expect(report).toMatchObject({ outcome: "dead_lettered", attempt: 1 });
    expect(report.error?.cause).toMatchObject({ code: "ORDER_SAGA_FACT_MISMATCH" });
    expect((await h.handler.get(orderId)).status).toBe("PLACED");
    expect((await readStream(h.pool, orderId)).map((recorded) => recorded.event.type)).toEqual([
      "OrderPlaced",
    ]);
    expect(await h.count("outbox")).toBe(1);
  });

  it("confirms on the facts that match it, over the same consumer", async () => {
    const { orderId, cause } = await placeOrder();
    const reserved: DomainEvent = {
      type: "InventoryReserved",
      data: {
        metadata: createMetadata({ producer: "inventory", cause }),
        orderId,
        lines: validOrder().items,
      },
    };
    const paid: DomainEvent = {
      type: "PaymentProcessed",
      data: {
        metadata: createMetadata({ producer: "payment", cause }),
        orderId,
        paymentId: "pay-2",
        amount: VALID_ORDER_TOTAL,
      },
    };
    await send(reserved, "inventory");
    await send(paid, "payments");
    expect((await handled(reserved.data.metadata.eventId)).outcome).toBe("processed");
    expect((await handled(paid.data.metadata.eventId)).outcome).toBe("processed");
    expect((await h.handler.get(orderId)).status).toBe("CONFIRMED");
  });
});
