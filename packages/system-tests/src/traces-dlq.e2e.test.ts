import { testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { type ConsumeReport, type Consumer, createConsumer, redriveDeadLetters } from "@herald/outbox";
import { startTelemetry, type Telemetry } from "@herald/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchOutbox, scratchTopics, tracedEnvironment } from "./trace-rig.js";
import { ancestry, newTraceparent, serviceOf, traceOnce, type ZipkinSpan } from "./trace-zipkin.js";

/**
 * A message that fails for good keeps its trace through the dead-letter topic and its redrive: the
 * outbox's consumer runtime (as every service runs it) in this process, traced to the e2e tier's
 * Zipkin, on a topic, a dead-letter topic and an inbox of its own.
 */

const SERVICE = "dlq-trace-test";
const infra = testInfra();

describe("dead letters and their redrive in the message's trace", () => {
  let outbox: Awaited<ReturnType<typeof scratchOutbox>>;
  let topics: Awaited<ReturnType<typeof scratchTopics>>;
  let telemetry: Telemetry;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    telemetry = startTelemetry(SERVICE, tracedEnvironment(100));
    expect(telemetry.enabled).toBe(true);
    outbox = await scratchOutbox("dlq_trace");
    topics = await scratchTopics(["orders", "dlq"]);
  });

  afterAll(async () => {
    await consumer?.stop();
    await telemetry?.shutdown();
    await topics?.drop();
    await outbox?.drop();
  });

  it("links the failed processing, the dead letter and the redriven processing in one trace", async () => {
    const topic = `${topics.prefix}orders`;
    const deadLetterTopic = `${topics.prefix}dlq`;
    const groupId = uniqueName("dlq-trace");
    const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
    const rejected = sampleEvent("OrderPlaced", { orderId: uniqueName("ord") });
    const idOf = (event: DomainEvent | undefined) => event?.data.metadata.eventId;

    let bugFixed = false;
    const outcomes: ConsumeReport[] = [];
    consumer = createConsumer({
      kafka: topics.kafka,
      pool: outbox.pool,
      serde,
      groupId,
      topics: [topic],
      deadLetterTopic,
      fromBeginning: true,
      consumerConfig: { maxWaitTimeInMs: 300 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event) {
        if (!bugFixed && idOf(event) === idOf(rejected))
          throw Object.assign(new Error("no such customer"), { retryable: false });
      },
    });
    await consumer.start();

    // Two messages of their own traces, as a relay publishes them: an event the handler refuses
    // (until its bug is fixed), and poison (bytes that are no event) that fails every time.
    const refusedTrace = newTraceparent();
    const poisonTrace = newTraceparent();
    const producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: rejected.data.orderId,
            value: await serde.encode(rejected),
            headers: { traceparent: refusedTrace.header },
          },
          {
            key: uniqueName("poison"),
            value: Buffer.from("{not an event"),
            headers: { traceparent: poisonTrace.header },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const deadLettered = () => outcomes.filter((report) => report.outcome === "dead_lettered");
    await waitFor("both messages dead-lettered", () => deadLettered().length === 2);

    bugFixed = true;
    const redrive = await redriveDeadLetters({
      kafka: topics.kafka,
      pool: outbox.pool,
      groupId,
      deadLetterTopic,
    });
    expect(redrive.redriven).toBe(2);
    await waitFor(
      "the refused event processed, the poison dead-lettered again",
      () =>
        outcomes.some((report) => report.outcome === "processed" && idOf(report.event) === idOf(rejected)) &&
        deadLettered().length === 3,
    );

    const ours = (spans: ZipkinSpan[]) => spans.filter((span) => serviceOf(span) === SERVICE);
    const path = (spans: ZipkinSpan[], span: ZipkinSpan) => ancestry(spans, span);

    // The refused event: its failed processing, its dead letter, and from there its redriven processing.
    const refused = await traceOnce(refusedTrace.traceId, (spans) => ours(spans).length === 3);
    const redriven = refused.find((span) => span.tags?.["herald.redriven"] === "true")!;
    expect(path(refused, redriven)).toEqual([
      `${SERVICE}: process ${topic}`,
      `${SERVICE}: dead-letter ${deadLetterTopic}`,
      `${SERVICE}: process ${topic}`,
    ]);
    const failed = refused.find((span) => span.parentId === refusedTrace.rootSpanId)!;
    const deadLetter = refused.find((span) => span.kind === "PRODUCER")!;
    expect(failed.tags).toMatchObject({ "otel.status_code": "ERROR" });
    expect(failed.tags?.error).toMatch(/^OUTBOX_HANDLER_FAILED: .*no such customer/);
    expect(deadLetter).toMatchObject({ parentId: failed.id, kind: "PRODUCER" });
    expect(redriven.parentId).toBe(deadLetter.id);
    expect(deadLetter.tags?.["herald.dead_letter.error_code"]).toBe("OUTBOX_HANDLER_FAILED");
    expect(redriven.tags?.error).toBeUndefined();

    // The poison: dead-lettered, redriven, dead-lettered again, all in the trace it arrived with.
    const poison = await traceOnce(poisonTrace.traceId, (spans) => ours(spans).length === 4);
    const last = poison.find(
      (span) => span.kind === "PRODUCER" && poison.every((other) => other.parentId !== span.id),
    )!;
    expect(path(poison, last)).toEqual([
      `${SERVICE}: process ${topic}`,
      `${SERVICE}: dead-letter ${deadLetterTopic}`,
      `${SERVICE}: process ${topic}`,
      `${SERVICE}: dead-letter ${deadLetterTopic}`,
    ]);
  });
});
