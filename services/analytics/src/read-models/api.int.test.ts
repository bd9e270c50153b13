import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnalyticsHarness, anotherInstance, createAnalyticsHarness, urlOf } from "../testing/harness.js";
import { eur, line, sagaOf } from "../testing/scenario.js";
import type { Summary } from "./queries.js";

/** Reads server-sent `summary` events from `url` as `token` until `until` holds for one; returns that one. */
async function awaitSummary(
  url: string,
  token: string,
  until: (summary: Summary) => boolean,
  onOpen: () => Promise<void> = async () => {},
): Promise<Summary> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let opened = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        if (!block.includes("event: summary") || !data) continue;
        const summary = JSON.parse(data.slice(6)) as Summary;
        if (!opened) {
          opened = true;
          await onOpen();
        }
        if (until(summary)) return summary;
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

describe("the read API", () => {
  let h: AnalyticsHarness;
  let other: FastifyInstance;

  beforeAll(async () => {
    h = await createAnalyticsHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    // A second instance on the same database, without a consumer of its own.
    other = await anotherInstance(h, { DATABASE_POOL_SIZE: "2", ANALYTICS_STREAM_POLL_MS: "100" });
  });

  afterAll(async () => {
    await other?.close();
    await h?.close();
  });

  it("streams the summary at once and after every change, from every instance", async () => {
    const order = sagaOf({
      outcome: "confirmed",
      lines: [line("HRL-MUG-BLUE", 1, eur(1290))],
      placedAt: Date.now(),
    });
    const facts = order.events.length;
    const [mine, theirs] = await Promise.all([
      awaitSummary(
        `${urlOf(h.app)}/analytics/stream`,
        h.operatorToken,
        (s) => s.facts === facts,
        () => h.produce(order.events),
      ),
      awaitSummary(`${urlOf(other)}/analytics/stream`, h.operatorToken, (s) => s.facts === facts),
    ]);
    expect(mine).toMatchObject({ facts, orders: { placed: 1, confirmed: 1 } });
    expect(theirs).toEqual({ ...mine, asOf: theirs.asOf });
  });

  it("answers 404 for an order it has no fact about, 400 for a malformed id", async () => {
    const unknown = await h.operator("/analytics/orders/ord-never-seen/timeline");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "ANALYTICS_ORDER_NOT_FOUND" });
    const bad = await h.operator("/analytics/orders/%3Cscript%3E/timeline");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses a bad time range field by field and answers a good one with every bucket", async () => {
    const bad = await h.operator("/analytics/timeseries?from=yesterday&step=61");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: "ANALYTICS_INVALID",
      details: [
        { path: "querystring/from", message: expect.any(String) },
        { path: "querystring/step", message: expect.any(String) },
      ],
    });
    const extra = await h.operator("/analytics/timeseries?window=5");
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({
      details: [{ path: "querystring/window", message: "is not allowed" }],
    });
    const good = await h.operator(
      "/analytics/timeseries?from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z&step=600",
    );
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ stepSeconds: 600, placed: [0, 0, 0, 0, 0, 0] });
    expect((await h.operator("/analytics/skus?limit=500")).statusCode).toBe(400);
    expect((await h.operator("/analytics/orders?limit=0")).statusCode).toBe(400);
  });

  it("serves the dashboard and uPlot without a build step", async () => {
    const page = await h.app.inject("/");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("/vendor/uplot/uPlot.iife.min.js");
    const uplot = await h.app.inject("/vendor/uplot/uPlot.iife.min.js");
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain("uPlot");
  });
});
