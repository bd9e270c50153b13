import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { brokerEnvironment, testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import { sampleEvent } from "@herald/events/testing";
import { enqueue, HEADERS } from "@herald/outbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchOutbox, scratchTopics, tracedEnvironment } from "./trace-rig.js";
import { newTraceparent, serviceOf, traceOnce } from "./trace-zipkin.js";

/**
 * A relay process that stops exports the spans of its last moments: its exporter's schedule is set
 * a minute apart, so the publish span of a row relayed just before SIGTERM reaches Zipkin only if the
 * process flushes its spans on the way out.
 */

// Node with the tsx loader, not the tsx CLI: the signal then reaches the relay itself.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const relayMain = fileURLToPath(new URL("../../service-kit/src/relay-main.ts", import.meta.url));
const infra = testInfra();

describe("a relay process stopping", () => {
  let outbox: Awaited<ReturnType<typeof scratchOutbox>>;
  let topics: Awaited<ReturnType<typeof scratchTopics>>;
  let relay: ChildProcess | undefined;

  beforeAll(async () => {
    outbox = await scratchOutbox("relay_flush");
    topics = await scratchTopics(["orders"]);
  });

  afterAll(async () => {
    if (relay && relay.exitCode === null) relay.kill("SIGKILL");
    await topics?.drop();
    await outbox?.drop();
  });

  it("exports the publish spans of its last cycles before it exits", async () => {
    const clientId = uniqueName("flush-relay");
    const output: string[] = [];
    relay = spawn(process.execPath, ["--conditions=herald-source", "--import", tsxLoader, relayMain], {
      env: {
        ...process.env,
        DATABASE_URL: outbox.url,
        ...brokerEnvironment(infra),
        RELAY_TOPIC_PREFIX: topics.prefix,
        RELAY_CLIENT_ID: clientId,
        ...tracedEnvironment(60_000),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    relay.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    relay.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const exited = once(relay, "exit");

    // A row written in a caller's trace, and its message on the topic with the publish span's context.
    const root = newTraceparent();
    const placed = sampleEvent("OrderPlaced", { orderId: uniqueName("ord") });
    const traced = {
      ...placed,
      data: { ...placed.data, metadata: { ...placed.data.metadata, traceparent: root.header } },
    };
    const tx = await outbox.pool.connect();
    try {
      await tx.query("BEGIN");
      await enqueue(tx, traced);
      await tx.query("COMMIT");
    } finally {
      tx.release();
    }
    const published: string[] = [];
    const reader = topics.kafka.consumer({ groupId: uniqueName("flush-reader"), maxWaitTimeInMs: 200 });
    await reader.connect();
    try {
      await reader.subscribe({ topic: `${topics.prefix}orders`, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) =>
          void published.push(String(message.headers?.[HEADERS.traceparent])),
      });
      await waitFor(
        () => `the row published by the relay (${output.join("").trim()})`,
        () => published.length > 0,
      );
    } finally {
      await reader.disconnect();
    }
    const header = published[0]!;
    expect(header).toMatch(new RegExp(`^00-${root.traceId}-[0-9a-f]{16}-01$`));
    expect(header).not.toBe(root.header);

    relay.kill("SIGTERM");
    const [code] = await exited;
    expect(code, output.join("")).toBe(0);

    // Exported at the stop, well before the exporter's next scheduled round a minute away.
    const spans = await traceOnce(
      root.traceId,
      (found) => found.some((span) => serviceOf(span) === clientId),
      15_000,
    );
    expect(spans.map((span) => `${serviceOf(span)}: ${span.name}`)).toEqual([
      `${clientId}: publish ${topics.prefix}orders`,
    ]);
    expect(spans[0]!.id).toBe(header.split("-")[2]);
  });
});
