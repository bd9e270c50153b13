import { KAFKA_ADMIN_LOGIN, type PrivateKafka, startPrivateKafka } from "@herald/dev-stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxRig } from "./testing/outbox-rig.js";
import { collect, waitFor, writeSteadily } from "./testing/support.js";

describe("the relay across a broker restart", { timeout: 180_000 }, () => {
  // A broker of this test's own: the test stops and restarts it, which the shared one must never be.
  let broker: PrivateKafka | undefined;
  // Stopped and dropped after the test, before the broker goes.
  const rig = outboxRig();

  beforeAll(async () => {
    broker = await startPrivateKafka("herald-outbox-broker");
  }, 150_000);

  afterAll(async () => {
    await broker?.remove();
  }, 60_000);

  it("loses nothing when the broker restarts under load", async ({ annotate }) => {
    const { db, topics } = await rig.setUp({
      broker: { kafkaBrokers: broker!.brokers, kafkaLogin: KAFKA_ADMIN_LOGIN },
      collect: false,
    });
    let published = 0;
    const failures = new Set<string>();
    const relay = rig.relay({
      retry: { initialMs: 100, maxMs: 1_000 },
      hooks: {
        published: ({ events }) => {
          published += events.length;
        },
        error: (error) => failures.add(error.code),
      },
    });
    await relay.start();

    // About 200 events/s in transactions of ten, before, during and after the outage.
    const writer = writeSteadily(db, { perTransaction: 10, keys: 40, pauseMs: 50 });
    const { written } = writer;

    await waitFor("the relay to publish", () => published >= 200, 60_000);
    await broker!.down();
    const atStop = written.length;
    await waitFor("writes during the outage", () => written.length >= atStop + 200, 60_000);
    await waitFor("the relay to notice the outage", () => failures.size > 0, 60_000);
    await broker!.up();
    const atRestart = published;
    await waitFor("the relay to publish after the restart", () => published >= atRestart + 400, 90_000);
    await writer.stop();

    const collector = await collect(topics.kafka, topics.serde, [topics.name("orders")]);
    try {
      await waitFor("every event to arrive", () => written.every((id) => collector.seen.has(id)), 90_000);
      expect(collector.seen.size).toBe(written.length);
      await annotate(
        `${written.length} events, failures seen: ${[...failures].join(", ")}; ${collector.duplicates()} delivered twice`,
      );
    } finally {
      await collector.stop();
    }
  });
});
