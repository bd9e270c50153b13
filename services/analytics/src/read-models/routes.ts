import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply } from "fastify";
import type pg from "pg";
import { AnalyticsError } from "../errors.js";
import { createEventWriter } from "./event-writer.js";
import {
  MAX_BUCKETS,
  readRecentOrders,
  readSkus,
  readSummary,
  readTimeline,
  readTimeSeries,
} from "./queries.js";
import {
  recentOrdersSchema,
  skusSchema,
  streamSchema,
  summarySchema,
  timelineSchema,
  timeSeriesSchema,
} from "./schemas.js";
import type { SummaryStream } from "./stream.js";

export interface ReadModelRouteOptions {
  readonly pool: pg.Pool;
  readonly stream: SummaryStream;
  readonly latencyWindowMs: number;
  readonly streamLimits: StreamLimits;
  /** Where a trace is shown, `{traceId}` standing for its id; empty: the timeline links no trace. */
  readonly traceUrl?: string;
}

/** Everything analytics knows is the shop's business: operators only. */
const OPERATOR = { access: "operator" } as const;
const HEARTBEAT_MS = 15_000;
/** A client at its share of streams waits this long before trying again. */
const CLIENT_RETRY_AFTER_S = 10;
const DEFAULT_RANGE_MS = 60 * 60 * 1000;

export function registerReadModelRoutes(app: FastifyInstance, options: ReadModelRouteOptions): void {
  const { pool, stream } = options;

  app.get("/analytics/summary", { config: OPERATOR, schema: summarySchema }, async () =>
    readSummary(pool, { latencyWindowMs: options.latencyWindowMs }),
  );

  app.get<{ Querystring: { from?: string; to?: string; step?: string } }>(
    "/analytics/timeseries",
    { config: OPERATOR, schema: timeSeriesSchema },
    async (request) => readTimeSeries(pool, parseRange(request.query, new Date())),
  );

  app.get<{ Querystring: { limit?: string } }>(
    "/analytics/skus",
    { config: OPERATOR, schema: skusSchema },
    async (request) => ({
      skus: await readSkus(pool, parseLimit(request.query.limit, 20)),
    }),
  );

  app.get<{ Querystring: { limit?: string } }>(
    "/analytics/orders",
    { config: OPERATOR, schema: recentOrdersSchema },
    async (request) => ({ orders: await readRecentOrders(pool, parseLimit(request.query.limit, 10)) }),
  );

  app.get<{ Params: { id: string } }>(
    "/analytics/orders/:id/timeline",
    { config: OPERATOR, schema: timelineSchema },
    async (request) => {
      const facts = await readTimeline(pool, request.params.id);
      if (facts.length === 0)
        throw new AnalyticsError("ANALYTICS_ORDER_NOT_FOUND", `no facts about order ${request.params.id}`);
      const traceUrl = (traceId: string | null) =>
        traceId && options.traceUrl ? options.traceUrl.replace("{traceId}", traceId) : null;
      return {
        orderId: request.params.id,
        facts: facts.map((fact) => ({ ...fact, traceUrl: traceUrl(fact.traceId) })),
      };
    },
  );

  const open = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const response of open) response.end();
    open.clear();
  });
  const slots = createStreamSlots(options.streamLimits);

  app.get("/analytics/stream", { config: OPERATOR, schema: streamSchema }, async (request, reply) => {
    const release = slots.take(request.principal!.subject, request.ip, reply);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-request-id": String(request.id),
    });
    open.add(response);
    const writer = createEventWriter(response, {
      stallMs: options.streamLimits.stallMs,
      onStall: () => {
        request.log.info(
          { stallMs: options.streamLimits.stallMs },
          "summary stream client stopped reading; disconnected",
        );
        response.destroy();
      },
    });
    writer.send("retry: 2000\n\n");
    let unsubscribe: (() => void) | undefined;
    let closed = false;
    const heartbeat = setInterval(() => writer.heartbeat(), HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      writer.close();
      unsubscribe?.();
      open.delete(response);
      release();
    };
    response.on("close", close);
    try {
      const stop = await stream.subscribe((summary) =>
        writer.send(`event: summary\nid: ${summary.version}\ndata: ${JSON.stringify(summary)}\n\n`),
      );
      if (closed) stop();
      else unsubscribe = stop;
    } catch (error) {
      request.log.warn({ err: error }, "summary stream could not start");
      response.end();
      close();
    }
  });
}

/** How many summary streams an instance serves: in all, and per token subject and client address. */
export interface StreamLimits {
  readonly maxConnections: number;
  readonly maxPerClient: number;
  /** How long a client may leave its full buffer unread before it is disconnected. */
  readonly stallMs: number;
}

/**
 * Counts the open streams. `take` claims a slot or throws (429 when the subject or the address
 * holds its share, 503 when the instance is full), and returns the release.
 */
function createStreamSlots(limits: StreamLimits) {
  let total = 0;
  const bySubject = new Map<string, number>();
  const byAddress = new Map<string, number>();
  const count = (map: Map<string, number>, key: string, by: 1 | -1) => {
    const next = (map.get(key) ?? 0) + by;
    if (next > 0) map.set(key, next);
    else map.delete(key);
  };
  return {
    take(subject: string, address: string, reply: FastifyReply): () => void {
      if (
        (bySubject.get(subject) ?? 0) >= limits.maxPerClient ||
        (byAddress.get(address) ?? 0) >= limits.maxPerClient
      ) {
        reply.header("retry-after", String(CLIENT_RETRY_AFTER_S));
        throw new AnalyticsError(
          "ANALYTICS_STREAM_LIMIT",
          `at most ${limits.maxPerClient} summary streams per client; close one or retry later`,
          { retryable: true },
        );
      }
      if (total >= limits.maxConnections)
        throw new AnalyticsError(
          "ANALYTICS_STREAM_BUSY",
          "this instance serves as many summary streams as it can",
          { retryable: true },
        );
      total++;
      count(bySubject, subject, 1);
      count(byAddress, address, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        count(bySubject, subject, -1);
        count(byAddress, address, -1);
      };
    },
  };
}

/** Parses the time-series query; every bad field is named in the 400's details. */
export function parseRange(
  query: { from?: string; to?: string; step?: string },
  now: Date,
): { from: Date; to: Date; stepMs: number } {
  const details: { path: string; message: string }[] = [];
  const time = (field: "from" | "to", fallback: () => Date): Date => {
    const raw = query[field];
    if (raw === undefined) return fallback();
    const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
      ? new Date(raw)
      : new Date(Number.NaN);
    if (Number.isNaN(parsed.getTime()))
      details.push({
        path: `querystring/${field}`,
        message: "must be an ISO 8601 time with a zone, e.g. 2026-01-31T12:00:00Z",
      });
    return parsed;
  };
  const to = time("to", () => now);
  const from = time("from", () => new Date(to.getTime() - DEFAULT_RANGE_MS));
  let stepMs = 60_000;
  if (query.step !== undefined) {
    const seconds = /^\d{1,7}$/.test(query.step) ? Number(query.step) : Number.NaN;
    if (!(seconds >= 60 && seconds % 60 === 0))
      details.push({
        path: "querystring/step",
        message: "must be a whole number of seconds, a multiple of 60",
      });
    else stepMs = seconds * 1000;
  }
  if (details.length === 0 && from.getTime() >= to.getTime())
    details.push({ path: "querystring/from", message: "must be before to" });
  if (details.length === 0) {
    const buckets = Math.ceil((to.getTime() - Math.floor(from.getTime() / stepMs) * stepMs) / stepMs);
    if (buckets > MAX_BUCKETS)
      details.push({ path: "querystring/step", message: `gives ${buckets} buckets; at most ${MAX_BUCKETS}` });
  }
  if (details.length > 0)
    throw new AnalyticsError(
      "ANALYTICS_INVALID",
      details.map((detail) => `${detail.path} ${detail.message}`).join("; "),
      { details },
    );
  return { from, to, stepMs };
}

function parseLimit(raw: string | undefined, fallback: number): number {
  const limit = raw === undefined ? fallback : Number(raw);
  if (limit > 100)
    throw new AnalyticsError("ANALYTICS_INVALID", "querystring/limit must be at most 100", {
      details: [{ path: "querystring/limit", message: "must be at most 100" }],
    });
  return limit;
}
