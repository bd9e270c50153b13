import { KAFKA_ADMIN_LOGIN, type KafkaLogin, kafkaLogin, StackError } from "@herald/dev-stack";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { poll } from "./poll.js";
import { note } from "./report.js";

/**
 * compose:check's checks of the compose broker, from the host: who it lets in, and what the relay
 * published.
 */

function kafkaClient(brokers: readonly string[], login: KafkaLogin | undefined): Kafka {
  const config: KafkaConfig = {
    clientId: "compose-check",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
    ...(login
      ? { sasl: { mechanism: "scram-sha-512", username: login.username, password: login.password } }
      : {}),
  };
  return new Kafka(config);
}

/**
 * The compose broker's access control, from the host: a client without a login is refused, and a
 * service principal reads what its ACLs allow (its own topic) and nothing else (another service's).
 * The passwords are compose's development defaults.
 */
export async function checkBrokerAccess(brokers: readonly string[]): Promise<void> {
  const anonymous = kafkaClient(brokers, undefined).admin();
  const refused = await anonymous
    .connect()
    .then(() => anonymous.listTopics())
    .then(
      (topics) => `listed ${topics.length} topics`,
      () => undefined,
    )
    .finally(() => anonymous.disconnect());
  if (refused !== undefined)
    throw new StackError(`a client without a login ${refused}`, "the broker must offer SASL listeners only");
  const order = kafkaClient(brokers, kafkaLogin("order")).admin();
  await order.connect();
  try {
    await order.fetchTopicOffsets("orders");
    const denied = await order.fetchTopicOffsets("notifications").then(
      () => false,
      (error: Error) => /authoriz/i.test(`${error.name} ${error.message}`),
    );
    if (!denied)
      throw new StackError(
        "herald-order could describe notifications, a topic no ACL gives it",
        "kafka-init must apply kafka-access.txt and the broker allow nothing else",
      );
  } finally {
    await order.disconnect();
  }
  note("no login: refused; herald-order: its topic yes, another service's no");
}

/** The relay container published: the topic holds at least one message (read as the admin). */
export async function waitForTopicMessages(brokers: readonly string[], topic: string): Promise<void> {
  const admin = kafkaClient(brokers, KAFKA_ADMIN_LOGIN).admin();
  await admin.connect();
  try {
    let count = 0;
    await poll(
      `a message on ${topic}`,
      60_000,
      async () => {
        const offsets = await admin.fetchTopicOffsets(topic);
        count = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
        return count > 0;
      },
      () => `${topic} is empty: is the order relay publishing?`,
    );
    note(`${topic} holds ${count} message(s): the relay published through Kafka and the registry`);
  } finally {
    await admin.disconnect();
  }
}
