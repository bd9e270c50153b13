import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkaConfig } from "./kafka-client.js";
import { KAFKA_ADMIN_LOGIN, type KafkaLogin, kafkaLogin } from "./services.js";
import { type PrivateKafka, startPrivateKafka } from "./testing/private-kafka.js";

/**
 * The broker as the stack provisions it, on a private broker of this test's own: it writes to the
 * contract topics and joins the services' real consumer groups, which the shared broker's other
 * users must never see.
 */
describe("the authenticated broker", { timeout: 60_000 }, () => {
  let broker: PrivateKafka | undefined;
  let brokers: string[] = [];
  const clients: { disconnect(): Promise<void> }[] = [];

  /**
   * A client of `login`; refusals are not retried (kafkajs retries only what may pass later), so
   * only a refused connection needs `retries: 0` to fail at once.
   */
  const client = (login: KafkaLogin | null, retries?: number): Kafka =>
    new Kafka({
      ...kafkaConfig(
        { kafkaBrokers: brokers },
        { login, clientId: "access-test", logLevel: logLevel.NOTHING },
      ),
      ...(retries === undefined ? {} : { retry: { retries } }),
      connectionTimeout: 3_000,
    } satisfies KafkaConfig);
  const admin = () => client(KAFKA_ADMIN_LOGIN);
  const track = <T extends { disconnect(): Promise<void> }>(c: T): T => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await startPrivateKafka("herald-kafka-access");
    brokers = broker.brokers;
  }, 150_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
    await broker?.remove();
  }, 60_000);

  it("refuses a client that does not authenticate", async () => {
    const anonymous = track(client(null, 0).admin());
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
  });

  it("refuses a wrong password", async () => {
    const intruder = track(client({ ...kafkaLogin("order"), password: "not-the-password" }, 0).admin());
    await expect(intruder.connect()).rejects.toMatchObject({ name: "KafkaJSSASLAuthenticationError" });
  });

  it("lets a service write its own topic and not another service's", async () => {
    const producer = track(
      client(kafkaLogin("order")).producer({ idempotent: true, maxInFlightRequests: 1 }),
    );
    await producer.connect();
    const [written] = await producer.send({
      topic: "orders",
      acks: -1,
      messages: [{ key: "o-1", value: "x" }],
    });
    expect(written?.errorCode).toBe(0);
    await expect(
      producer.send({ topic: "payments", acks: -1, messages: [{ key: "o-1", value: "x" }] }),
    ).rejects.toMatchObject({ type: "TOPIC_AUTHORIZATION_FAILED" });
  });

  it("lets a service read what it consumes, in its own group, and nothing else", async () => {
    const seed = track(admin().producer());
    await seed.connect();
    await seed.send({ topic: "inventory", acks: -1, messages: [{ key: "o-2", value: "reserved" }] });

    const order = client(kafkaLogin("order"));
    const reader = track(order.consumer({ groupId: "order-service", maxWaitTimeInMs: 250 }));
    await reader.connect();
    await reader.subscribe({ topics: ["inventory"], fromBeginning: true });
    const received = await new Promise<string>((resolve, reject) => {
      reader.on(reader.events.CRASH, (event) => reject(event.payload.error));
      void reader.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    expect(received).toBe("reserved");

    const snooper = track(order.consumer({ groupId: "order-service" }));
    await snooper.connect();
    await expect(snooper.subscribe({ topics: ["notifications"] })).rejects.toMatchObject({
      type: "TOPIC_AUTHORIZATION_FAILED",
    });
    const orderAdmin = track(order.admin());
    await orderAdmin.connect();
    // The broker answers FindCoordinator for a group the principal may not describe with
    // GROUP_AUTHORIZATION_FAILED, which kafkajs reports as no coordinator found: its own group's
    // coordinator, on the same (only) broker, is found.
    await expect(
      orderAdmin.fetchOffsets({ groupId: "order-service", topics: ["inventory"] }),
    ).resolves.toHaveLength(1);
    await expect(
      orderAdmin.fetchOffsets({ groupId: "payment-service", topics: ["orders"] }),
    ).rejects.toMatchObject({ name: "KafkaJSGroupCoordinatorNotFound" });
  });

  it("lets no service create topics: provisioning made the contract's and the dead-letter ones", async () => {
    const orderAdmin = track(client(kafkaLogin("order")).admin());
    await orderAdmin.connect();
    expect(await orderAdmin.listTopics()).toEqual(
      expect.arrayContaining(["orders", "inventory", "payments", "order-service.dlq"]),
    );
    await expect(
      orderAdmin.createTopics({ topics: [{ topic: "order-made-this" }], waitForLeaders: true }),
    ).rejects.toMatchObject({ name: "KafkaJSAggregateError" });
    const superUser = track(admin().admin());
    await superUser.connect();
    expect(await superUser.listTopics()).not.toContain("order-made-this");
  });
});
