import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import nodemailer from "nodemailer";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { kafkaConfig, testInfra, uniqueName } from "./testing/index.js";
import { SERVICE_NAMES } from "./workspace.js";

const infra = testInfra();

describe("the real infrastructure", () => {
  it("carries messages through Kafka", async () => {
    const kafka = new Kafka({
      clientId: "smoke",
      ...kafkaConfig(infra),
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName("smoke");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: uniqueName("smoke") });
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "order-1", value: "hello" }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ key: String(message.key), value: String(message.value) }),
        });
      });
      expect(received).toEqual({ key: "order-1", value: "hello" });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it("registers an Avro schema and round-trips a record through the registry", async () => {
    const registry = new SchemaRegistry({ host: infra.schemaRegistryUrl });
    const name = uniqueName("Smoke");
    const schema = {
      type: "record",
      name,
      namespace: "herald.smoke",
      fields: [
        { name: "orderId", type: "string" },
        { name: "amountMinor", type: "long" },
      ],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `smoke-herald.smoke.${name}` },
    );
    const bytes = await registry.encode(id, { orderId: "o-1", amountMinor: 1999 });
    expect(bytes.readUInt8(0)).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    // A fresh client knows nothing cached: decoding must fetch the schema by id from the registry.
    const fresh = new SchemaRegistry({ host: infra.schemaRegistryUrl });
    expect(await fresh.decode(bytes)).toEqual({ orderId: "o-1", amountMinor: 1999 });
  });

  it("runs the registry with BACKWARD compatibility", async () => {
    const response = await fetch(`${infra.schemaRegistryUrl}/config`);
    expect(await response.json()).toMatchObject({ compatibilityLevel: "BACKWARD" });
  });

  it.each(SERVICE_NAMES)("lets the %s role into its own database and no other", async (service) => {
    const own = new pg.Client({ connectionString: infra.databaseUrls[service] });
    await own.connect();
    const { rows } = await own.query<{ db: string; user: string }>(
      "SELECT current_database() AS db, current_user AS user",
    );
    await own.end();
    expect(rows[0]?.user).toBe(`herald_${service}`);
    expect(rows[0]?.db).toBe(`herald_${service}`);

    const other = SERVICE_NAMES.find((candidate) => candidate !== service)!;
    const intruder = new URL(infra.databaseUrls[service]!);
    intruder.pathname = `/herald_${other}`;
    const foreign = new pg.Client({ connectionString: intruder.toString() });
    await expect(foreign.connect()).rejects.toThrow(/permission denied/);
    await foreign.end().catch(() => {});
  });

  it("accepts mail over SMTP and shows it through the sink's API", async () => {
    const subject = uniqueName("smoke-mail");
    const transport = nodemailer.createTransport(infra.smtpUrl);
    await transport.sendMail({ from: "shop@herald.test", to: "customer@herald.test", subject, text: "hi" });
    transport.close();
    const response = await fetch(`${infra.mailApiUrl}/email`);
    const mails = (await response.json()) as { subject: string; to: { address: string }[] }[];
    const mail = mails.find((candidate) => candidate.subject === subject);
    expect(mail?.to[0]?.address).toBe("customer@herald.test");
  });
});
