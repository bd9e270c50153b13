import { kafkaConfig, testInfra, uniqueName } from "@herald/dev-stack/testing";
import {
  createEventSerde,
  type DomainEvent,
  type EventSerde,
  keyOf,
  type TopicName,
  topicOf,
} from "@herald/events";
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";

/** The contract's topics under a prefix of a test's own, on this run's broker, logged in as its admin. */
export interface TestKafka {
  readonly kafka: Kafka;
  /** Connected until `close`. */
  readonly admin: Admin;
  /** Its schemas registered. */
  readonly serde: EventSerde;
  /** Connected until `close`. */
  readonly producer: Producer;
  /** The test's copy of a contract topic. */
  topic(name: TopicName): string;
  /** Publishes events as their producers' relays do: Avro, to the event's (prefixed) topic, keyed by its aggregate. */
  send(...events: DomainEvent[]): Promise<void>;
  /** Disconnects the producer, deletes the topics and `alsoDelete` (dead-letter topics), and disconnects the admin. */
  close(alsoDelete?: readonly string[]): Promise<void>;
}

export async function createTestKafka(options: {
  /** Names the prefix (made unique) and the client. */
  readonly name: string;
  readonly topics: readonly TopicName[];
  readonly partitions: number;
  /** Created beside them with the broker's default partitions (a consumer group's dead-letter topic). */
  readonly extraTopics?: readonly string[];
}): Promise<TestKafka> {
  const infra = testInfra();
  const prefix = uniqueName(options.name);
  const topic = (name: TopicName) => `${prefix}.${name}`;
  const kafka = new Kafka({
    clientId: `${options.name}-test`,
    ...kafkaConfig(infra),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      ...options.topics.map((name) => ({ topic: topic(name), numPartitions: options.partitions })),
      ...(options.extraTopics ?? []).map((name) => ({ topic: name })),
    ],
    waitForLeaders: true,
  });
  const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  await serde.register();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    kafka,
    admin,
    serde,
    producer,
    topic,
    async send(...events) {
      for (const event of events)
        await producer.send({
          topic: topic(topicOf(event.type)),
          messages: [{ key: keyOf(event), value: await serde.encode(event) }],
        });
    },
    async close(alsoDelete = []) {
      await producer.disconnect().catch(() => {});
      const topics = [...options.topics.map(topic), ...(options.extraTopics ?? []), ...alsoDelete];
      await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
    },
  };
}
