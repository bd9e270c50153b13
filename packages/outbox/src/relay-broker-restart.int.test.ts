import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultStackOptions } from "@herald/dev-stack";
import { type Component, KAFKA_ADMIN_LOGIN, kafkaComponent } from "@herald/dev-stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxRig } from "./testing/outbox-rig.js";
import { collect, orderPlaced, waitFor } from "./testing/support.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * A private single-node Kafka in its own state dir and ports: this test stops and restarts its
 * broker, which the shared one must never be.
 */
async function startPrivateBroker(stateDir: string): Promise<{ broker: Component; brokers: string[] }> {
  const ports = { broker: await freePort(), controller: await freePort() };
  const broker = kafkaComponent({ ...defaultStackOptions(), stateDir }, ports);
  await broker.up();
  return { broker, brokers: [`127.0.0.1:${ports.broker}`] };
}

describe("the relay across a broker restart", { timeout: 180_000 }, () => {
  const stateDir = mkdtempSync(join(tmpdir(), "herald-outbox-broker-"));
  let broker: Component | undefined;
  let brokers: string[] = [];
  // Stopped and dropped after the test, before the broker goes.
  const rig = outboxRig();

  beforeAll(async () => {
    ({ broker, brokers } = await startPrivateBroker(stateDir));
  }, 150_000);

  afterAll(async () => {
    await broker?.down();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("loses nothing when the broker restarts under load", async ({ annotate }) => {
    const { db, topics } = await rig.setUp({
      broker: { kafkaBrokers: brokers, kafkaLogin: KAFKA_ADMIN_LOGIN },
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

    const written: string[] = [];
    let writing = true;
    // About 200 events/s in transactions of ten, before, during and after the outage.
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const events = Array.from({ length: 10 }, (_, j) => orderPlaced(`ord_${(i * 10 + j) % 40}`, i));
        await db.write(events);
        written.push(...events.map((event) => event.data.metadata.eventId));
        await sleep(50);
      }
    })();

    await waitFor("the relay to publish", () => published >= 200, 60_000);
    await broker!.down();
    const atStop = written.length;
    await waitFor("writes during the outage", () => written.length >= atStop + 200, 60_000);
    await waitFor("the relay to notice the outage", () => failures.size > 0, 60_000);
    await broker!.up();
    const atRestart = published;
    await waitFor("the relay to publish after the restart", () => published >= atRestart + 400, 90_000);
    writing = false;
    await writer;

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
