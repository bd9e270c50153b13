import { randomUUID } from "node:crypto";
import { startSystem, testInfra } from "@herald/dev-stack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, eventually, orderRequest } from "./client.js";
import {
  ancestry,
  arrived,
  expectRelayHops,
  has,
  named,
  newTraceparent,
  PATH_TO_MAIL,
  SAGA_PROCESSES,
  serviceOf,
  traceOnce,
  type ZipkinSpan,
} from "./trace-zipkin.js";

// One order, one trace: every service and relay process of the system sends its spans to the e2e
// tier's Zipkin server (its global setup starts it), and each order placed here carries a traceparent
// of the test's own, so its trace id is known before the first span is written.

const infra = testInfra();
let client: Client;

beforeAll(async () => {
  client = await createClient(await startSystem(infra));
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M"]);
});

/** Places an order (mailed to a new address starting `emailPrefix`) in a trace of its own; answers both. */
async function placeInNewTrace(emailPrefix: string, token?: string) {
  const trace = newTraceparent();
  const placed = await client.place(
    orderRequest({ email: `${emailPrefix}-${randomUUID()}@example.com`, token }),
    undefined,
    { traceparent: trace.header },
  );
  return { trace, placed };
}

/**
 * The order's trace once it holds every saga process under the trace's root span, the mail sent and
 * the mail's analysis, and `more` holds of it too.
 */
function sagaTrace(trace: ReturnType<typeof newTraceparent>, more: (found: ZipkinSpan[]) => boolean) {
  return traceOnce(
    trace.traceId,
    (found) =>
      arrived(found, SAGA_PROCESSES, trace.rootSpanId) &&
      has(found, "email", "email send") &&
      has(found, "analytics", "process notifications") &&
      more(found),
  );
}

describe("one trace per order across every service, through the outbox and its relays", () => {
  it("follows a confirmed order from POST /orders to the analytics of its mail", async () => {
    const { trace, placed } = await placeInNewTrace("traced");
    expect(placed.status).toBe(202);
    expect((await client.settled(placed.body.orderId)).status).toBe("CONFIRMED");

    const spans = await sagaTrace(trace, (found) => has(found, "order", "process payments"));
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
    expect(ancestry(spans, sent)).toEqual(PATH_TO_MAIL);
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
    const { trace, placed } = await placeInNewTrace("traced-declined", "tok_declined");
    expect((await client.settled(placed.body.orderId)).status).toBe("CANCELLED");

    const spans = await sagaTrace(
      trace,
      (found) =>
        found.filter((span) => serviceOf(span) === "inventory" && span.name === "process orders").length >= 2,
    );
    expect(new Set(spans.map(serviceOf))).toEqual(new Set(SAGA_PROCESSES));
    expectRelayHops(spans);

    const sent = spans.find((span) => serviceOf(span) === "email" && span.name === "email send")!;
    expect(ancestry(spans, sent)).toEqual(PATH_TO_MAIL);
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

  it("shows a charge the gateway failed and its retry as two attempts in the order's trace", async () => {
    const { trace, placed } = await placeInNewTrace("traced-retry", "tok_gateway_error");
    expect((await client.settled(placed.body.orderId)).status).toBe("CONFIRMED");
    const [payment] = await client.payments(placed.body.orderId);
    expect(payment).toMatchObject({ status: "PROCESSED", attempts: 2 });

    const spans = await sagaTrace(trace, (found) => named(found, "payment", "payment charge").length >= 2);
    expectRelayHops(spans);
    // Both attempts answer the same request for the charge, one after the other; the mail's path
    // goes through the second, the one that succeeded.
    const attempts = named(spans, "payment", "payment charge").sort((a, b) => a.timestamp! - b.timestamp!);
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts as [ZipkinSpan, ZipkinSpan];
    expect(first.parentId).toBe(second.parentId);
    expect(ancestry(spans, first).slice(-2)).toEqual([
      "payment: process inventory",
      "payment: payment charge",
    ]);
    expect(first.timestamp! + first.duration!).toBeLessThanOrEqual(second.timestamp!);
    const sent = named(spans, "email", "email send")[0]!;
    expect(ancestry(spans, sent)).toEqual(PATH_TO_MAIL);
    const published = spans.find(
      (span) =>
        serviceOf(span) === "payment-relay" && span.tags?.["herald.event.type"] === "PaymentProcessed",
    );
    expect(published?.parentId).toBe(second.id);
  });
});
