import { randomBytes } from "node:crypto";
import { traceCollectorUrl, waitFor } from "@herald/dev-stack/testing";
import { expect } from "vitest";

// What the trace tests read of Zipkin: a trace's spans from its query API, and the shape of a
// trace as every service and relay process exports its part of it on its own schedule.

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
  timestamp?: number;
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** The e2e tier's Zipkin (its global setup starts it). */
export const zipkin = traceCollectorUrl();

/** A new trace's root, as a caller's own span would send it. */
export function newTraceparent(): { traceId: string; header: string; rootSpanId: string } {
  const traceId = randomBytes(16).toString("hex");
  const rootSpanId = randomBytes(8).toString("hex");
  return { traceId, rootSpanId, header: `00-${traceId}-${rootSpanId}-01` };
}

export const serviceOf = (span: ZipkinSpan) => span.localEndpoint?.serviceName ?? "?";

/** Zipkin's spans of the trace once `complete` holds for them (spans arrive as each process exports). */
export function traceOnce(
  traceId: string,
  complete: (spans: ZipkinSpan[]) => boolean,
  timeoutMs = 60_000,
): Promise<ZipkinSpan[]> {
  return waitFor(
    `trace ${traceId} whole in Zipkin`,
    async () => {
      const response = await fetch(`${zipkin}/api/v2/trace/${traceId}`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) return undefined;
      const spans = (await response.json()) as ZipkinSpan[];
      return complete(spans) ? spans : undefined;
    },
    timeoutMs,
    200,
  );
}

/** The span and its ancestors up to the trace's root, root first, as `service: name`. */
export function ancestry(spans: ZipkinSpan[], span: ZipkinSpan): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const path: string[] = [];
  for (let at: ZipkinSpan | undefined = span; at; at = at.parentId ? byId.get(at.parentId) : undefined)
    path.unshift(`${serviceOf(at)}: ${at.name}`);
  return path;
}

export const has = (spans: ZipkinSpan[], service: string, name: string) =>
  spans.some((span) => serviceOf(span) === service && span.name === name);

export const named = (spans: ZipkinSpan[], service: string, name: string) =>
  spans.filter((span) => serviceOf(span) === service && span.name === name);

/**
 * Whether the trace has arrived whole enough to judge: spans from every one of `services`, and no
 * span whose parent has not (each process exports on its own schedule). `rootSpanId` is the
 * caller's span the trace continues, if any.
 */
export function arrived(spans: ZipkinSpan[], services: readonly string[], rootSpanId?: string): boolean {
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
export const SAGA_PROCESSES = [
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

/** The saga's path to the order's mail: order → inventory → payment → order again → email. */
export const PATH_TO_MAIL = [
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
];

/** The spans of the trace that a hop between two processes leaves: produce, relay, consume. */
export function expectRelayHops(spans: ZipkinSpan[]): void {
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
