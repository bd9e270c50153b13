import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { kafkaLoginEnvironment, testInfra } from "@herald/dev-stack/testing";
import { describe, expect, it } from "vitest";
import { outboxRig } from "./testing/outbox-rig.js";
import {
  orderPlaced,
  type TestDatabase,
  type TestTopics,
  waitFor,
  writeSteadily,
} from "./testing/support.js";

// Node with the tsx loader, not the tsx CLI: signals then reach the relay itself.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const relayMain = fileURLToPath(new URL("./relay-main.ts", import.meta.url));

describe("the relay process", { timeout: 120_000 }, () => {
  const { setUp, release } = outboxRig();

  function startRelay(db: TestDatabase, topics: TestTopics, output: string[]): ChildProcess {
    const infra = testInfra();
    const child = spawn(process.execPath, ["--conditions=herald-source", "--import", tsxLoader, relayMain], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(","),
        ...kafkaLoginEnvironment(infra.kafkaLogin),
        SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
        RELAY_TOPIC_PREFIX: topics.prefix,
        RELAY_BATCH_SIZE: "20",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    return release(child, () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
  }

  it("loses nothing when killed with SIGKILL mid-stream and restarted", async ({ annotate }) => {
    const { db, topics, collector } = await setUp();
    const seen = collector.seen;
    const written: string[] = [];
    // A backlog of 3,000 events, so the relay is killed in the middle of draining it in batches of 20...
    for (let i = 0; i < 6; i++) {
      const events = Array.from({ length: 500 }, (_, j) => orderPlaced(`ord_${j % 50}`, i * 500 + j));
      await db.write(events);
      written.push(...events.map((event) => event.data.metadata.eventId));
    }
    // ...while a steady stream (about 500 events/s in transactions of ten) keeps coming.
    const writer = writeSteadily(db, { perTransaction: 10, keys: 50, pauseMs: 20 }, written);

    const output: string[] = [];
    const first = startRelay(db, topics, output);
    await waitFor("the first relay process to publish", () => seen.size >= 300, 60_000);
    first.kill("SIGKILL");
    await once(first, "exit");
    const unpublishedAtKill = written.length - seen.size;
    expect(first.signalCode).toBe("SIGKILL");

    const second = startRelay(db, topics, output);
    const atRestart = seen.size;
    await waitFor("the restarted relay to publish", () => seen.size >= atRestart + 300, 60_000);
    await writer.stop();
    await waitFor("every event to arrive", () => written.every((id) => seen.has(id)), 60_000).catch(
      (error) => {
        throw new Error(`${(error as Error).message}\nrelay output:\n${output.join("")}`);
      },
    );
    second.kill("SIGTERM");
    await once(second, "exit");

    expect(unpublishedAtKill).toBeGreaterThan(1_000);
    expect(seen.size).toBe(written.length);
    expect(second.exitCode).toBe(0);
    await annotate(
      `${written.length} events, ${unpublishedAtKill} unpublished at the kill, ${collector.duplicates()} delivered twice`,
    );
  });
});
