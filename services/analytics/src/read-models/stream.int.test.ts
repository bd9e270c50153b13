import { waitFor } from "@herald/dev-stack/testing";
import { withTransaction } from "@herald/service-kit";
import { testTokens } from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEvents } from "../projection/store.js";
import { type AnalyticsHarness, anotherInstance, createAnalyticsHarness, urlOf } from "../testing/harness.js";
import { eur, line, sagaOf } from "../testing/scenario.js";
import { readSummary, type Summary } from "./queries.js";
import { createSummaryStream } from "./stream.js";

/** One SSE connection: its status and Retry-After, and (when accepted) the summaries it received. */
interface Connection {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly code?: string;
  readonly summaries: Summary[];
  readonly ended: Promise<void>;
  close(): void;
}

async function connect(url: string, token: string): Promise<Connection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const summaries: Summary[] = [];
  if (response.status !== 200) {
    const body = (await response.json()) as { code: string };
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      code: body.code,
      summaries,
      ended: Promise.resolve(),
      close: () => controller.abort(),
    };
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .find((l) => l.startsWith("data: "));
        buffer = buffer.slice(end + 2);
        if (data) summaries.push(JSON.parse(data.slice(6)) as Summary);
      }
    }
  })();
  return { status: 200, retryAfter: null, summaries, ended, close: () => controller.abort() };
}

/**
 * Expects the first `accepted` connections answered 200 and every other one refused with `status`,
 * `code` and a Retry-After; answers the accepted ones.
 */
function expectRefusedBeyond(
  connections: readonly Connection[],
  accepted: number,
  status: number,
  code: string,
): Connection[] {
  const ok = connections.filter((c) => c.status === 200);
  const refused = connections.filter((c) => c.status !== 200);
  expect(ok).toHaveLength(accepted);
  expect(refused).toHaveLength(connections.length - accepted);
  for (const c of refused) {
    expect(c.status).toBe(status);
    expect(c.code).toBe(code);
    expect(Number(c.retryAfter)).toBeGreaterThan(0);
  }
  return ok;
}

/** Commits one more order's facts straight into the live generation. */
async function addOrder(h: AnalyticsHarness): Promise<number> {
  const order = sagaOf({
    outcome: "confirmed",
    lines: [line("HRL-MUG-BLUE", 1, eur(1290))],
    placedAt: Date.now(),
  });
  await withTransaction(h.context.pool, (tx) => applyEvents(tx, 1, order.events));
  return (await h.summary()).facts;
}

/** Adds an order and waits until every accepted stream's last summary counts its facts. */
async function orderSeenOnEvery(h: AnalyticsHarness, accepted: readonly Connection[]): Promise<void> {
  const facts = await addOrder(h);
  await waitFor(
    "the change on every accepted stream",
    () => accepted.every((c) => c.summaries.at(-1)?.facts === facts),
    10_000,
  );
}

describe("the summary stream", () => {
  let h: AnalyticsHarness;
  let wide: FastifyInstance;

  beforeAll(async () => {
    h = await createAnalyticsHarness({
      startConsumer: false,
      env: { ANALYTICS_STREAM_MAX_CONNECTIONS: "100", ANALYTICS_STREAM_MAX_PER_CLIENT: "5" },
    });
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    // A second instance whose only limit is the global one.
    wide = await anotherInstance(h, {
      DATABASE_POOL_SIZE: "3",
      ANALYTICS_STREAM_POLL_MS: "100",
      ANALYTICS_STREAM_MAX_CONNECTIONS: "100",
      ANALYTICS_STREAM_MAX_PER_CLIENT: "1000",
    });
  });

  afterAll(async () => {
    await wide?.close();
    await h?.close();
  });

  it("reads the summary once for any number of subscribers, and once per change", async () => {
    let reads = 0;
    const stream = createSummaryStream({
      pool: h.context.pool,
      readSummary: () => {
        reads++;
        return readSummary(h.context.pool, { latencyWindowMs: 60_000 });
      },
      pollMs: 50,
    });
    try {
      const seen: Summary[][] = Array.from({ length: 40 }, () => []);
      const unsubscribe = await Promise.all(seen.map((list) => stream.subscribe((s) => list.push(s))));
      expect(reads).toBe(1);
      expect(seen.every((list) => list.length === 1)).toBe(true);

      const facts = await addOrder(h);
      await waitFor(
        "every subscriber to see the change",
        () => seen.every((list) => list.at(-1)?.facts === facts),
        10_000,
      );
      expect(reads).toBe(2);

      // A late subscriber gets the kept summary: no read.
      const late: Summary[] = [];
      unsubscribe.push(await stream.subscribe((s) => late.push(s)));
      expect(late.map((s) => s.facts)).toEqual([facts]);
      expect(reads).toBe(2);

      // After a quiet spell with no listener, the next one checks the version and reuses the summary.
      for (const stop of unsubscribe) stop();
      const again: Summary[] = [];
      const stop = await stream.subscribe((s) => again.push(s));
      expect(again.map((s) => s.facts)).toEqual([facts]);
      expect(reads).toBe(2);
      stop();
    } finally {
      stream.close();
    }
  });

  it("takes at most 5 connections of one client (429 beyond), and the accepted ones keep working", async () => {
    const url = `${urlOf(h.app)}/analytics/stream`;
    const connections = await Promise.all(Array.from({ length: 150 }, () => connect(url, h.operatorToken)));
    try {
      const accepted = expectRefusedBeyond(connections, 5, 429, "ANALYTICS_STREAM_LIMIT");
      // Another operator from the same address is held to the address's share too.
      const neighbour = await connect(url, await testTokens.staff("operator", "ops-2"));
      expect(neighbour.status).toBe(429);

      await waitFor(
        "the first summary on every accepted stream",
        () => accepted.every((c) => c.summaries.length > 0),
        10_000,
      );
      await orderSeenOnEvery(h, accepted);

      // A closed connection frees its slot.
      accepted[0]!.close();
      await waitFor(
        "a slot to free up",
        async () => {
          const next = await connect(url, h.operatorToken);
          next.close();
          return next.status === 200;
        },
        10_000,
      );
    } finally {
      for (const c of connections) c.close();
    }
  });

  it("takes at most 100 connections per instance (503 with Retry-After beyond), and the accepted ones keep working", async () => {
    const url = `${urlOf(wide)}/analytics/stream`;
    const connections = await Promise.all(Array.from({ length: 150 }, () => connect(url, h.operatorToken)));
    try {
      const accepted = expectRefusedBeyond(connections, 100, 503, "ANALYTICS_STREAM_BUSY");
      await orderSeenOnEvery(h, accepted);
    } finally {
      for (const c of connections) c.close();
    }
  });
});
