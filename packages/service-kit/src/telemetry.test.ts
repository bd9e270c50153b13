import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { Writable } from "node:stream";
import { activeTraceparent, startPublishSpans, traceProcessing, traceWork } from "@herald/outbox";
import type { KafkaMessage } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";
import { createTestHttpServer } from "./testing-http.js";

// Tracing on, exporting to a Zipkin v2 JSON receiver on loopback (what Zipkin's server accepts):
// a request continues its caller's trace, log lines inside carry it, and the outbox's spans chain
// writer → publish → process → background work in one trace.

interface ExportedSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

let receiver: Server;
let received: ExportedSpan[];
let endpoint: string;
let telemetry: Telemetry | undefined;

beforeEach(async () => {
  received = [];
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/api/v2/spans")
        for (const span of JSON.parse(Buffer.concat(chunks).toString()) as ExportedSpan[])
          received.push({ ...span, name: span.name.toLowerCase() });
      response.writeHead(202).end();
    });
  }).listen(0, "127.0.0.1");
  await once(receiver, "listening");
  endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/v2/spans`;
});

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  receiver.close();
});

/**
 * Waits for the spans named to be exported (the processor exports every 10 ms here); names are
 * lower-cased, as Zipkin's server stores them.
 */
async function exported(names: string[]): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 4_000;
  while (!names.every((name) => received.some((span) => span.name === name))) {
    if (Date.now() > deadline)
      throw new Error(`spans ${names} not exported; got ${received.map((s) => s.name).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return received;
}

function logLines(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

async function app(logger = createLogger({ service: "shop", level: "silent" })) {
  const server = await createTestHttpServer("Shop", { logger, readiness: {} });
  server.post("/things/:id", { config: { access: "public" } }, async (request) => {
    request.log.info("handling");
    return { traceparent: activeTraceparent() };
  });
  return server;
}

const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** POSTs to the app's one route for thing `id`, with the caller's `traceparent` if there is one. */
function postThing(server: Awaited<ReturnType<typeof app>>, id: number, traceparent?: string) {
  return server.inject({
    method: "POST",
    url: `/things/${id}`,
    headers: { ...(traceparent ? { traceparent } : {}), "content-type": "application/json" },
    payload: "{}",
  });
}

describe("telemetry", () => {
  it("is off without an endpoint: no spans, no hooks, no trace fields in logs", async () => {
    telemetry = startTelemetry("shop", {});
    expect(telemetry.enabled).toBe(false);
    const { stream, lines } = logLines();
    const server = await app(createLogger({ service: "shop", level: "info", destination: stream }));
    const response = await postThing(server, 1, CALLER);
    expect(response.json()).toEqual({ traceparent: null });
    expect(lines.find((line) => line.msg === "handling")).not.toHaveProperty("trace_id");
    await server.close();
  });

  it("refuses a malformed sampling ratio", () => {
    expect(() =>
      startTelemetry("shop", { OTEL_EXPORTER_ZIPKIN_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: "2" }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });

  it("continues a caller's trace in a SERVER span named by route; the handler and its logs run inside it", async () => {
    telemetry = startTelemetry("shop", {
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "10",
    });
    const { stream, lines } = logLines();
    const server = await app(createLogger({ service: "shop", level: "info", destination: stream }));
    const response = await postThing(server, 7, CALLER);
    const [span] = (await exported(["post /things/:id"])).filter((s) => s.name === "post /things/:id");
    expect(span).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentId: "00f067aa0ba902b7",
      kind: "SERVER",
      localEndpoint: { serviceName: "shop" },
      tags: { "http.route": "/things/:id", "http.response.status_code": "200" },
    });
    // The handler ran in the request's span: what it would enqueue carries it.
    expect(response.json()).toEqual({ traceparent: `00-${span!.traceId}-${span!.id}-01` });
    expect(lines.find((line) => line.msg === "handling")).toMatchObject({
      trace_id: span!.traceId,
      span_id: span!.id,
    });
    await server.close();
  });

  it("records nothing for a trace its caller did not sample", async () => {
    telemetry = startTelemetry("shop", {
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "10",
    });
    const server = await app();
    const unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    await postThing(server, 8, unsampled);
    await postThing(server, 9);
    const spans = await exported(["post /things/:id"]);
    expect(spans.map((span) => span.tags?.["url.path"])).toEqual(["/things/9"]);
    await server.close();
  });

  it("chains an outbox row's writer, its publish span, the consumer's process span and background work", async () => {
    telemetry = startTelemetry("shop", {
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "10",
    });
    // The writer's span, as the row stores it.
    const writer = await traceWork("write order", null, {}, async () => activeTraceparent());
    const row = {
      traceparent: writer,
      topic: "orders",
      event_type: "OrderPlaced",
      event_id: "e-1",
      aggregate_key: "ord-1",
      written_ms: Date.now() - 40,
    };
    const untraced = { ...row, traceparent: null, event_id: "e-2" };
    const spans = startPublishSpans([row, untraced], (topic) => `test.${topic}`, 0);
    const header = spans.traceparent(0)!;
    expect(spans.traceparent(1)).toBeNull();
    spans.end();

    const message = {
      key: Buffer.from("ord-1"),
      offset: "41",
      headers: { traceparent: Buffer.from(header), "herald-event-type": Buffer.from("OrderPlaced") },
    } as unknown as KafkaMessage;
    const inHandler = await traceProcessing(
      { topic: "test.orders", partition: 2, message },
      "shop-group",
      async () => activeTraceparent(),
    );
    await traceWork("charge", inHandler, { "herald.order.id": "ord-1" }, async () => {});

    const all = await exported(["write order", "publish test.orders", "process test.orders", "charge"]);
    const byName = new Map(all.map((span) => [span.name, span]));
    const [write, publish, process, charge] = [
      "write order",
      "publish test.orders",
      "process test.orders",
      "charge",
    ].map((name) => byName.get(name)!);
    expect(new Set([write, publish, process, charge].map((span) => span!.traceId)).size).toBe(1);
    expect(publish).toMatchObject({
      parentId: write!.id,
      kind: "PRODUCER",
      tags: {
        "messaging.destination.name": "test.orders",
        "messaging.message.id": "e-1",
        "herald.event.type": "OrderPlaced",
      },
    });
    expect(Number(publish!.tags?.["herald.outbox.wait_ms"])).toBeGreaterThanOrEqual(40);
    expect(header).toBe(`00-${publish!.traceId}-${publish!.id}-01`);
    expect(process).toMatchObject({
      parentId: publish!.id,
      kind: "CONSUMER",
      tags: { "messaging.consumer.group.name": "shop-group", "messaging.kafka.offset": "41" },
    });
    expect(charge).toMatchObject({ parentId: process!.id });
    // One publish span: the row written without a trace got none.
    expect(all.filter((span) => span.name === "publish test.orders")).toHaveLength(1);
  });
});
