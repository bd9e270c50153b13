import { kafkaConfig, testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import {
  createEventSerde,
  createMetadata,
  type DomainEvent,
  type EventData,
  type EventOf,
  type EventSerde,
  keyOf,
  type Metadata,
  type TopicName,
} from "@herald/events";
import { type ConsumeReport, type Consumer, createConsumer } from "@herald/outbox";
import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
import { createSagaHandler, SAGA_TOPICS } from "../orders/saga.js";
import { createHarness, type Harness, logger, VALID_ORDER_TOTAL, validOrder } from "./harness.js";

/** The topics other services publish the saga's facts on. */
export type FactTopic = "inventory" | "payments";

/**
 * The Order service's saga consumer over real Kafka: a harness, topics of the test's own under a
 * unique prefix (the consumer maps contract topics to them), the consumer (not started yet) with
 * every outcome it reports, and a producer that publishes other services' events.
 */
export interface SagaRig {
  readonly h: Harness;
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  readonly consumer: Consumer;
  readonly reports: ConsumeReport[];
  /** The test's own topic for a contract topic. */
  topic(name: TopicName): string;
  /** Publishes another service's event the way its relay would: Avro through the registry, keyed by order. */
  send(event: DomainEvent, name: FactTopic): Promise<void>;
  /** Waits for the consumer's last outcome (not a retry) for the event. */
  handled(eventId: string, timeoutMs?: number): Promise<ConsumeReport>;
  /** Stops the consumer and producer, deletes the topics and the dead-letter topic, closes the harness. */
  close(): Promise<void>;
}

export async function startSagaRig(name: string, topicNames: readonly TopicName[]): Promise<SagaRig> {
  const infra = testInfra();
  const h = await createHarness();
  const prefix = uniqueName(name);
  const groupId = uniqueName(`${name}_group`);
  const topic = (contract: TopicName) => `${prefix}.${contract}`;
  const kafka = new Kafka({ clientId: `${name}-test`, ...kafkaConfig(infra), logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: topicNames.map((contract) => ({ topic: topic(contract), numPartitions: 2 })),
    waitForLeaders: true,
  });
  const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  await serde.register();
  const reports: ConsumeReport[] = [];
  const consumer = createConsumer({
    kafka,
    pool: h.pool,
    groupId,
    topics: SAGA_TOPICS.map(topic),
    serde,
    handle: createSagaHandler(h.handler, logger),
    retry: { initialMs: 50, maxMs: 500 },
    hooks: { outcome: (report) => reports.push(report) },
  });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    h,
    kafka,
    serde,
    consumer,
    reports,
    topic,
    async send(event, contract) {
      await producer.send({
        topic: topic(contract),
        messages: [{ key: keyOf(event), value: await serde.encode(event) }],
      });
    },
    handled: (eventId, timeoutMs) =>
      waitFor(
        `the consumer to handle ${eventId}`,
        () => reports.find((r) => r.event?.data.metadata.eventId === eventId && r.outcome !== "retried"),
        timeoutMs,
      ),
    async close() {
      await Promise.allSettled([consumer.stop(), producer.disconnect()]);
      await admin.deleteTopics({ topics: [...topicNames.map(topic), `${groupId}.dlq`] }).catch(() => {});
      await admin.disconnect();
      await h.close();
    },
  };
}

/** The facts other services publish about an order, and which service publishes each. */
const PRODUCERS = {
  InventoryReserved: "inventory",
  InventoryReservationFailed: "inventory",
  PaymentProcessed: "payment",
  PaymentFailed: "payment",
} as const;

/** Another service's fact of type `type` about the order, caused by `cause`, with `data` besides. */
export const factFor = <K extends keyof typeof PRODUCERS>(
  type: K,
  orderId: string,
  cause: Metadata,
  data: Omit<EventData[K], "metadata" | "orderId">,
): EventOf<K> =>
  ({
    type,
    data: { metadata: createMetadata({ producer: PRODUCERS[type], cause }), orderId, ...data },
  }) as EventOf<K>;

/** Inventory's InventoryReserved of the lines of {@link validOrder}, caused by `cause`. */
export const reservedFor = (orderId: string, cause: Metadata) =>
  factFor("InventoryReserved", orderId, cause, { lines: validOrder().items });

/** Payment's PaymentProcessed for the order, caused by `cause`: the order's total unless told. */
export const paidFor = (orderId: string, cause: Metadata, paymentId: string, amount = VALID_ORDER_TOTAL) =>
  factFor("PaymentProcessed", orderId, cause, { paymentId, amount });
