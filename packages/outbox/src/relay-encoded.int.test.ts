import { type DomainEvent, encodeBody } from "@herald/events";
import { describe, expect, it } from "vitest";
import { outboxRig } from "./testing/outbox-rig.js";
import { orderPlaced, type TestDatabase, waitFor } from "./testing/support.js";

describe("the relay with bodies encoded at enqueue", { timeout: 90_000 }, () => {
  const { setUp: setUpOutbox, relay, release } = outboxRig();

  /** The events as they arrive on Kafka, decoded, by event id. */
  async function setUp(): Promise<{ db: TestDatabase; received: Map<string, DomainEvent> }> {
    const { db, topics } = await setUpOutbox({ collect: false });
    const received = new Map<string, DomainEvent>();
    const consumer = release(
      topics.kafka.consumer({ groupId: `${topics.prefix}reader`, maxWaitTimeInMs: 100 }),
      (reader) => reader.disconnect(),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.name("orders")], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = await topics.serde.decode(message.value!);
        received.set(event.data.metadata.eventId, event);
      },
    });
    return { db, received };
  }

  function startRelay(): Promise<void> {
    return relay().start();
  }

  it("stores each event's Avro body at enqueue and publishes those bytes, not its JSON re-encoded", async () => {
    const { db, received } = await setUp();
    const event = orderPlaced("ord_body", 0);
    await db.write([event]);
    const { rows } = await db.pool.query<{ body: Buffer }>("SELECT body FROM outbox WHERE event_id = $1", [
      event.data.metadata.eventId,
    ]);
    expect(rows[0]!.body.equals(encodeBody(event))).toBe(true);
    // The JSON copy says otherwise: what arrives tells which of the two the relay sent.
    await db.pool.query(
      "UPDATE outbox SET payload = jsonb_set(payload::jsonb, '{customerId}', '\"someone-else\"')::json WHERE event_id = $1",
      [event.data.metadata.eventId],
    );
    await startRelay();
    await waitFor("the event", () => received.has(event.data.metadata.eventId));
    expect(received.get(event.data.metadata.eventId)).toEqual(event);
  });

  it("encodes a row written before bodies were stored from its JSON payload", async () => {
    const { db, received } = await setUp();
    const event = orderPlaced("ord_old_row", 0);
    await db.write([event]);
    await db.pool.query("UPDATE outbox SET body = NULL WHERE event_id = $1", [event.data.metadata.eventId]);
    await startRelay();
    await waitFor("the event", () => received.has(event.data.metadata.eventId));
    expect(received.get(event.data.metadata.eventId)).toEqual(event);
  });
});
