import { errorResponseRef } from "@herald/service-kit";

const tags = ["analytics"];
const int = { type: "integer" } as const;
const counts = { type: "object", additionalProperties: int } as const;
const nullableInt = { type: ["integer", "null"] } as const;

const summary = {
  type: "object",
  required: ["version", "generation", "asOf", "facts", "orders", "funnel", "revenue", "latency"],
  properties: {
    version: { type: "string", description: "changes whenever a figure may have: <generation>:<facts>" },
    generation: int,
    asOf: { type: "string", format: "date-time" },
    facts: { ...int, description: "distinct events projected" },
    lastFactAt: { type: ["string", "null"], format: "date-time" },
    orders: {
      type: "object",
      properties: {
        placed: int,
        confirmed: int,
        cancelled: int,
        inFlight: { ...int, description: "placed, neither confirmed nor cancelled yet" },
        cancelledByReason: counts,
      },
    },
    funnel: {
      type: "object",
      description: "orders that reached each stage",
      properties: { placed: int, reserved: int, paid: int, confirmed: int },
    },
    revenue: {
      type: "array",
      description: "per currency, in minor units: confirmed order totals, refunds, and the difference",
      items: {
        type: "object",
        properties: { currency: { type: "string" }, grossMinor: int, refundedMinor: int, netMinor: int },
      },
    },
    payments: {
      type: "object",
      properties: { processed: int, failed: int, refunded: int, failedByReason: counts },
    },
    inventory: { type: "object", properties: { reserved: int, reservationFailed: int, released: int } },
    emails: { type: "object", properties: { sent: int, failed: int } },
    periods: { type: "object", properties: { summarized: int } },
    latency: {
      type: "object",
      description: "placed → confirmed or cancelled, over the orders that ended within the window",
      properties: { windowMs: int, orders: int, p50Ms: nullableInt, p95Ms: nullableInt, p99Ms: nullableInt },
    },
  },
} as const;

export const summarySchema = {
  tags,
  summary: "Headline figures: orders, funnel, revenue, payments, saga latency",
  response: { 200: summary },
} as const;

/** A JSON array of objects with these properties. */
const listOf = <const P extends object>(properties: P) =>
  ({ type: "array", items: { type: "object", properties } }) as const;

const series = { type: "array", items: int } as const;

export const timeSeriesSchema = {
  tags,
  summary: "Figures per time bucket (every bucket present, zero when nothing happened)",
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: {
      from: { type: "string", description: "ISO 8601 time, inclusive; default an hour before `to`" },
      to: { type: "string", description: "ISO 8601 time, exclusive; default now" },
      step: { type: "string", description: "bucket length in seconds, a multiple of 60; default 60" },
    },
  },
  response: {
    200: {
      type: "object",
      properties: {
        from: { type: "string", format: "date-time" },
        to: { type: "string", format: "date-time" },
        stepSeconds: int,
        buckets: { ...series, description: "start of each bucket, epoch milliseconds" },
        placed: series,
        confirmed: series,
        cancelled: series,
        revenue: listOf({ currency: { type: "string" }, grossMinor: series, refundedMinor: series }),
      },
    },
    400: errorResponseRef,
  },
} as const;

export const skusSchema = {
  tags,
  summary: "Products by units sold in confirmed orders, best first",
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: { limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$", description: "1–100, default 20" } },
  },
  response: {
    200: {
      type: "object",
      properties: {
        skus: listOf({
          sku: { type: "string" },
          currency: { type: "string" },
          units: int,
          revenueMinor: int,
          orders: int,
        }),
      },
    },
    400: errorResponseRef,
  },
} as const;

export const recentOrdersSchema = {
  tags,
  summary: "The orders placed last, newest first, with the furthest stage each reached",
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: { limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$", description: "1–100, default 10" } },
  },
  response: {
    200: {
      type: "object",
      properties: {
        orders: listOf({
          orderId: { type: "string" },
          placedAt: { type: "string", format: "date-time" },
          status: { type: "string", enum: ["placed", "reserved", "paid", "confirmed", "cancelled"] },
          cancelReason: { type: ["string", "null"] },
          latencyMs: nullableInt,
        }),
      },
    },
    400: errorResponseRef,
  },
} as const;

export const ORDER_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";

export const timelineSchema = {
  tags,
  summary: "Every service's facts about one order, in the order they happened",
  params: {
    type: "object",
    properties: { id: { type: "string", pattern: ORDER_ID_PATTERN } },
    required: ["id"],
  },
  response: {
    200: {
      type: "object",
      properties: {
        orderId: { type: "string" },
        facts: listOf({
          eventId: { type: "string" },
          type: { type: "string" },
          occurredAt: { type: "string", format: "date-time" },
          producer: { type: "string" },
          causationId: { type: ["string", "null"] },
          correlationId: { type: "string" },
          detail: { type: "string" },
          traceId: { type: ["string", "null"] },
          traceUrl: { type: ["string", "null"], description: "the fact's trace in the trace UI" },
        }),
      },
    },
    400: errorResponseRef,
    404: errorResponseRef,
  },
} as const;

export const streamSchema = {
  tags,
  summary: "Server-sent events: `summary` with the /analytics/summary body, at once and after every change",
  produces: ["text/event-stream"],
  response: {
    200: {
      type: "string",
      description:
        "`event: summary` blocks whose `data` is the /analytics/summary body; `: keep-alive` comments",
    },
    429: errorResponseRef,
    503: errorResponseRef,
  },
} as const;
