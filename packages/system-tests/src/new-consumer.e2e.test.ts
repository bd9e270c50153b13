import {
  createScratchSchema,
  quietKafka,
  type ScratchSchema,
  startSystem,
  testInfra,
  uniqueName,
  withAdmin,
} from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent } from "@herald/events";
import { type Consumer, createConsumer, outboxMigrations } from "@herald/outbox";
import { runMigrations } from "@herald/service-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, eventually, orderRequest } from "./client.js";

/**
 * "Add a consumer without touching a producer": a fraud check written here, on the shared consumer
 * runtime, with a group of its own and its own database, subscribes to `orders` from the beginning
 * and receives every fact the Order service announced, in each order's own order.
 */

const infra = testInfra();
let client: Client;
let scratch: ScratchSchema;
let pool: pg.Pool;
let consumer: Consumer | undefined;
let groupId: string | undefined;
const kafka = quietKafka(infra, "fraud-check");

beforeAll(async () => {
  client = await createClient(await startSystem(infra));
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M", "HRL-NOTEBOOK-A5"]);
  // A database of the new consumer's own: the inbox and parked keys of the runtime, and what it saw.
  scratch = await createScratchSchema(infra.databaseUrls.analytics, "fraud_check");
  pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
  pool.on("error", () => {});
  await runMigrations(pool, [
    ...outboxMigrations,
    {
      id: "fraud-check-001-seen",
      sql: `CREATE TABLE seen (
              seq bigserial PRIMARY KEY,
              event_id uuid NOT NULL UNIQUE,
              type text NOT NULL,
              order_id text NOT NULL,
              partition integer,
              kafka_offset bigint
            )`,
    },
  ]);
});

afterAll(async () => {
  await consumer?.stop();
  // The group and the dead-letter topic the runtime created for it are this test's own.
  if (groupId) {
    const group = groupId;
    await withAdmin(kafka, async (admin) => {
      await admin.deleteGroups([group]).catch(() => {});
      await admin.deleteTopics({ topics: [`${group}.dlq`] }).catch(() => {});
    });
  }
  await pool?.end();
  await scratch?.drop();
});

/** What the fraud check saw of one order, in the order it handled the events. */
async function seenOf(orderId: string): Promise<{ eventId: string; type: string }[]> {
  const { rows } = await pool.query<{ event_id: string; type: string }>(
    "SELECT event_id, type FROM seen WHERE order_id = $1 ORDER BY seq",
    [orderId],
  );
  return rows.map((row) => ({ eventId: row.event_id, type: row.type }));
}

/** The facts the Order service recorded for an order, oldest first. */
async function historyOf(orderId: string): Promise<{ eventId: string; type: string }[]> {
  const events = await client.history(orderId);
  return events.map((event) => ({ eventId: event.data.metadata.eventId, type: event.type }));
}

describe("a new consumer group added without touching any producer", () => {
  it("reads `orders` from the beginning and receives every fact of every order, in order", async () => {
    // Orders that end in each way the Order service can announce.
    const confirmed = await client.place(orderRequest());
    const declined = await client.place(orderRequest({ token: "tok_declined" }));
    const refunded = await client.place(orderRequest({ items: [{ sku: "HRL-NOTEBOOK-A5", quantity: 1 }] }));
    const placed = [confirmed, declined, refunded];
    expect(placed.map((answer) => answer.status)).toEqual([202, 202, 202]);
    const ids = placed.map((answer) => answer.body.orderId);
    await Promise.all(ids.map((id) => client.settled(id)));
    expect((await client.cancel(refunded.body.orderId)).status).toBe(200);

    // What is on the topic right now, all of it written before this group existed.
    const group = uniqueName("fraud-check");
    groupId = group;
    const { existingGroups, ends } = await withAdmin(kafka, async (admin) => ({
      existingGroups: (await admin.listGroups()).groups.map((group) => group.groupId),
      ends: (await admin.fetchTopicOffsets("orders")).filter((end) => Number(end.high) > 0),
    }));
    expect(existingGroups).not.toContain(group);

    consumer = createConsumer({
      kafka,
      pool,
      groupId: group,
      topics: ["orders"],
      serde: createEventSerde({ registryUrl: infra.schemaRegistryUrl }),
      consumerConfig: { maxWaitTimeInMs: 200 },
      async handle(event: DomainEvent, tx) {
        const orderId = "orderId" in event.data ? String(event.data.orderId) : "";
        await tx.query("INSERT INTO seen (event_id, type, order_id) VALUES ($1, $2, $3)", [
          event.data.metadata.eventId,
          event.type,
          orderId,
        ]);
      },
    });
    await consumer.start();

    // Every fact of our orders, exactly as the producer recorded them, in that order.
    for (const id of ids) {
      const history = await historyOf(id);
      const seen = await eventually(async () => {
        const got = await seenOf(id);
        return got.length >= history.length ? got : undefined;
      });
      expect(seen).toEqual(history);
    }
    expect((await seenOf(confirmed.body.orderId)).map((f) => f.type)).toEqual([
      "OrderPlaced",
      "OrderConfirmed",
    ]);
    expect((await seenOf(declined.body.orderId)).map((f) => f.type)).toEqual([
      "OrderPlaced",
      "OrderCancelled",
    ]);
    expect((await seenOf(refunded.body.orderId)).map((f) => f.type)).toEqual([
      "OrderPlaced",
      "OrderConfirmed",
      "OrderCancelled",
    ]);

    // From the beginning: through everything the topic held before the group existed.
    await eventually(async () => {
      const [committed] = await withAdmin(kafka, (admin) =>
        admin.fetchOffsets({ groupId: group, topics: ["orders"] }),
      );
      const reached = ends.every((end) =>
        committed!.partitions.some(
          (p) => p.partition === end.partition && Number(p.offset) >= Number(end.high),
        ),
      );
      return reached ? true : undefined;
    }, 60_000);
  });
});
