import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { testInfra, uniqueName } from "@herald/dev-stack/testing";
import { afterEach, describe, expect, it } from "vitest";
import { recordEffectRow } from "./consumer/testing-batch.js";
import type { ConsumeReport } from "./consumer.js";
import { consumerRig } from "./testing/consumer-rig.js";
import { waitFor } from "./testing/support.js";

// Node with the tsx loader, not the tsx CLI: the SIGKILL the consumer sends itself ends the process.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const crashingConsumer = fileURLToPath(new URL("./consumer/testing-batch.ts", import.meta.url));

/** A consumer process killed after a chunk's transaction committed and before its offsets did. */
describe("the consumer's batches", { timeout: 120_000 }, () => {
  const { setUp, sendEvents, consumer, count } = consumerRig();
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("applies every event once when it dies between a transaction's commit and the offsets' commit", async ({
    annotate,
  }) => {
    const { db, topics, topic } = await setUp();
    const total = 300;
    await sendEvents(topic, total, 10, 0);
    const groupId = uniqueName("group");
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      ["--conditions=herald-source", "--import", tsxLoader, crashingConsumer],
      {
        env: {
          ...process.env,
          HERALD_TEST_INFRA: JSON.stringify(testInfra()),
          DATABASE_URL: db.url,
          TOPIC: topic,
          GROUP_ID: groupId,
          // Past the first chunk of a batch, so earlier chunks of the same batch committed too.
          CRASH_AFTER: "150",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(child);
    child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const [, signal] = await once(child, "exit");
    expect([signal, output.join("")]).toEqual(["SIGKILL", ""]);

    // It died with more effects committed than offsets: the window between the two commits.
    const applied = await count("effects");
    const admin = topics.kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committedOffset = Math.max(0, Number(offsets!.partitions.find((p) => p.partition === 0)!.offset));
    await annotate(`killed with ${applied} effects committed and offset ${committedOffset} committed`);
    expect(applied).toBeGreaterThanOrEqual(150);
    expect(committedOffset).toBeLessThan(applied);

    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId,
      topics: [topic],
      handle: recordEffectRow,
      hooks: { outcome: (report) => void outcomes.push(report) },
    }).start();
    await waitFor(
      "the rest of the partition after the restart",
      () => outcomes.length >= total - committedOffset,
    );

    expect(outcomes.filter((o) => o.outcome === "duplicate")).toHaveLength(applied - committedOffset);
    expect(outcomes.filter((o) => o.outcome === "processed")).toHaveLength(total - applied);
    expect(outcomes.map((o) => Number(o.offset))).toEqual(
      Array.from({ length: total - committedOffset }, (_, i) => committedOffset + i),
    );
    expect(await count("effects")).toBe(total);
    expect(await count("(SELECT DISTINCT event_id FROM effects) e")).toBe(total);
    expect(await count("inbox")).toBe(total);
  });
});
