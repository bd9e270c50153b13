import { randomBytes, randomUUID } from "node:crypto";
import { startSystem, testInfra, traceCollectorUrl } from "@herald/dev-stack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, eventually, orderRequest } from "./client.js";

// One order, one trace: every service and relay process of the system sends its spans to the e2e
// tier's Zipkin server (its global setup starts it), and each order placed here carries a traceparent
// of the test's own, so its trace id is known before the first span is written.

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

const infra = testInfra();
const zipkin = traceCollectorUrl();
let client: Client;

beforeAll(async () => {
  client = await createClient(await startSystem(infra));
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M"]);
});

/** A new trace's root, as a caller's own span would send it. */
function newTraceparent(): { traceId: string; header: string; rootSpanId: string } {
  const traceId = randomBytes(16).toString("hex");
  const rootSpanId = randomBytes(8).toString("hex");
  return { traceId, rootSpanId, header: `00-${traceId}-${rootSpanId}-01` };
}

const serviceOf = (span: ZipkinSpan) => span.localEndpoint?.serviceName ?? "?";

/** Zipkin's spans of the trace once `complete` holds for them (spans arrive as each process exports). */
function traceOnce(traceId: string, complete: (spans: ZipkinSpan[]) => boolean): Promise<ZipkinSpan[]> {
  return eventually(async () => {
    const response = await fetch(`${zipkin}/api/v2/trace/${traceId}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    const spans = (await response.json()) as ZipkinSpan[];
    return complete(spans) ? spans : undefined;
  }, 60_000);
}

/** The span and its ancestors up to the trace's root, root first, as `service: name`. */
function ancestry(spans: ZipkinSpan[], span: ZipkinSpan): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const path: string[] = [];
  for (let at: ZipkinSpan | undefined = span; at; at = at.parentId ? byId.get(at.parentId) : undefined)
    path.unshift(`${serviceOf(at)}: ${at.name}`);
  return path;
}

const has = (spans: ZipkinSpan[], service: string, name: string) =>
  spans.some((span) => serviceOf(span) === service && span.name === name);

/**
 * Whether the trace has arrived whole enough to judge: spans from every one of `services`, and no
 * span whose parent has not (each process exports on its own schedule).
 */
function arrived(spans: ZipkinSpan[], services: readonly string[], rootSpanId: string): boolean {
  const ids = new Set(spans.map((span) => span.id));
  const present = new Set(spans.map(serviceOf));
  return (
    services.every((service) => present.has(service)) &&
    spans.every(
      (span) => span.parentId === undefined || span.parentId === rootSpanId || ids.has(span.parentId),
    )
  );
}

/** Every process an order's saga passes through, each relay included. */
const SAGA_PROCESSES = [
  "order",
  "order-relay",
  "inventory",
  "inventory-relay",
  "payment",
  "payment-relay",
  "email",
  "email-relay",
  "analytics",
] as const;

/** The spans of the trace that a hop between two processes leaves: produce, relay, consume. */
function expectRelayHops(spans: ZipkinSpan[]): void {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const consumed = spans.filter((span) => span.kind === "CONSUMER");
  expect(consumed.length).toBeGreaterThan(0);
  for (const span of consumed) {
    // Every message handled was published by a relay process, in the trace of what its writer did.
    const publish = byId.get(span.parentId ?? "");
    expect(publish, `parent of ${serviceOf(span)}: ${span.name}`).toMatchObject({ kind: "PRODUCER" });
    expect(serviceOf(publish!)).toMatch(/-relay$/);
    expect(byId.get(publish!.parentId ?? ""), `writer of ${publish!.name}`).toBeDefined();
  }
}

describe("one trace per order across every service, through the outbox and its relays", () => {
  it("follows a confirmed order from POST /orders to the analytics of its mail", async () => {
    const trace = newTraceparent();
    const placed = await client.place(
      orderRequest({ email: `traced-${randomUUID()}@example.com` }),
      undefined,
      {
        traceparent: trace.header,
      },
    );
    expect(placed.status).toBe(202);
    expect((await client.settled(placed.body.orderId)).status).toBe("CONFIRMED");

    const spans = await traceOnce(
      trace.traceId,
      (found) =>
        arrived(found, SAGA_PROCESSES, trace.rootSpanId) &&
        has(found, "email", "email send") &&
        has(found, "analytics", "process notifications") &&
        has(found, "order", "process payments"),
    );
    expect(spans.every((span) => span.traceId === trace.traceId)).toBe(true);
    expect(new Set(spans.map(serviceOf))).toEqual(new Set(SAGA_PROCESSES));

    // The request continued the caller's trace; every other span hangs from it.
    const server = spans.find((span) => span.kind === "SERVER" && serviceOf(span) === "order");
    expect(server).toMatchObject({ name: "post /orders", parentId: trace.rootSpanId });
    expect(spans.filter((span) => span.parentId === undefined || span.parentId === trace.rootSpanId)).toEqual(
      [server],
    );
    expectRelayHops(spans);

    // The saga's path to the confirmation mail: order → inventory → payment → order again → email.
    const sent = spans.find((span) => serviceOf(span) === "email" && span.name === "email send")!;
    expect(ancestry(spans, sent)).toEqual([
      "order: post /orders",
      "order-relay: publish orders",
      "inventory: process orders",
      "inventory-relay: publish inventory",
      "payment: process inventory",
      "payment: payment charge",
      "payment-relay: publish payments",
      "order: process payments",
      "order-relay: publish orders",
      "email: process orders",
      "email: email send",
    ]);
    // Analytics links each fact of the order to its trace: the timeline names this trace for every one.
    const timeline = await eventually(async () => {
      const { status, body } = await client.timeline(placed.body.orderId);
      const facts = body?.facts ?? [];
      return status === 200 && facts.some((fact) => fact.type === "EmailSent") ? facts : undefined;
    });
    for (const fact of timeline)
      expect(fact, fact.type).toMatchObject({
        traceId: trace.traceId,
        traceUrl: `http://localhost:9411/zipkin/traces/${trace.traceId}`,
      });
    const mailAnalysed = spans.find(
      (span) => serviceOf(span) === "analytics" && span.name === "process notifications",
    )!;
    expect(ancestry(spans, mailAnalysed).slice(-3)).toEqual([
      "email: email send",
      "email-relay: publish notifications",
      "analytics: process notifications",
    ]);
  });

  it("follows an order cancelled by a declined payment to its cancellation mail", async () => {
    const trace = newTraceparent();
    const placed = await client.place(
      orderRequest({ email: `traced-declined-${randomUUID()}@example.com`, token: "tok_declined" }),
      undefined,
      { traceparent: trace.header },
    );
    expect((await client.settled(placed.body.orderId)).status).toBe("CANCELLED");

    const spans = await traceOnce(
      trace.traceId,
      (found) =>
        arrived(found, SAGA_PROCESSES, trace.rootSpanId) &&
        has(found, "email", "email send") &&
        found.filter((span) => serviceOf(span) === "inventory" && span.name === "process orders").length >=
          2 &&
        has(found, "analytics", "process notifications"),
    );
    expect(new Set(spans.map(serviceOf))).toEqual(new Set(SAGA_PROCESSES));
    expectRelayHops(spans);

    const sent = spans.find((span) => serviceOf(span) === "email" && span.name === "email send")!;
    expect(ancestry(spans, sent)).toEqual([
      "order: post /orders",
      "order-relay: publish orders",
      "inventory: process orders",
      "inventory-relay: publish inventory",
      "payment: process inventory",
      "payment: payment charge",
      "payment-relay: publish payments",
      "order: process payments",
      "order-relay: publish orders",
      "email: process orders",
      "email: email send",
    ]);
    // The compensation: Inventory reads OrderCancelled, in the same trace, and releases the stock.
    const released = spans.filter(
      (span) => serviceOf(span) === "inventory" && span.name === "process orders",
    );
    expect(released.map((span) => span.tags?.["herald.event.type"]).sort()).toEqual([
      "OrderCancelled",
      "OrderPlaced",
    ]);
    expect(spans.find((span) => span.name === "payment charge")?.tags?.["herald.payment.operation"]).toBe(
      "charge",
    );
  });
});
