import { withTransaction } from "@herald/service-kit";
import type pg from "pg";
import { FUNNEL_STAGES, type FunnelStage } from "../projection/effects.js";

/** Every headline figure of the live generation, as of one snapshot. */
export interface Summary {
  /** Changes whenever a figure may have: `<generation>:<facts>`. */
  version: string;
  generation: number;
  asOf: string;
  facts: number;
  lastFactAt: string | null;
  orders: {
    placed: number;
    confirmed: number;
    cancelled: number;
    inFlight: number;
    cancelledByReason: Record<string, number>;
  };
  funnel: Record<FunnelStage, number>;
  revenue: { currency: string; grossMinor: number; refundedMinor: number; netMinor: number }[];
  payments: { processed: number; failed: number; refunded: number; failedByReason: Record<string, number> };
  inventory: { reserved: number; reservationFailed: number; released: number };
  emails: { sent: number; failed: number };
  periods: { summarized: number };
  latency: {
    windowMs: number;
    orders: number;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
  };
}

export interface TimeSeries {
  from: string;
  to: string;
  stepSeconds: number;
  /** Start of each bucket, epoch milliseconds. */
  buckets: number[];
  placed: number[];
  confirmed: number[];
  cancelled: number[];
  revenue: { currency: string; grossMinor: number[]; refundedMinor: number[] }[];
}

export interface SkuFigures {
  sku: string;
  currency: string;
  units: number;
  revenueMinor: number;
  orders: number;
}

export interface TimelineEntry {
  eventId: string;
  type: string;
  occurredAt: string;
  producer: string;
  causationId: string | null;
  correlationId: string;
  detail: string;
  /** The trace the fact's event was produced in; null when it was produced untraced. */
  traceId: string | null;
}

const LIVE = "(SELECT generation FROM analytics_generations WHERE state = 'live')";

/** Runs `read` in one read-only snapshot, so figures read by several queries agree with each other. */
function inSnapshot<T>(pool: pg.Pool, read: (db: pg.ClientBase) => Promise<T>): Promise<T> {
  return withTransaction(pool, read, { isolation: "repeatable read", readOnly: true });
}

/** The live generation and its fact count: cheap, and different whenever a figure may have changed. */
export async function readVersion(db: pg.Pool | pg.ClientBase): Promise<string> {
  const { rows } = await db.query<{ generation: number; facts: string | null }>(
    `SELECT g.generation, f.value AS facts
       FROM analytics_generations g
       LEFT JOIN analytics_figures f ON f.generation = g.generation AND f.name = 'facts' AND f.key = ''
      WHERE g.state = 'live'`,
  );
  const row = rows[0];
  return row ? `${row.generation}:${row.facts ?? 0}` : "none";
}

export async function readSummary(pool: pg.Pool, options: { latencyWindowMs: number }): Promise<Summary> {
  return inSnapshot(pool, async (db) => {
    const { rows: generations } = await db.query<{ generation: number }>(
      "SELECT generation FROM analytics_generations WHERE state = 'live'",
    );
    const generation = generations[0]?.generation ?? 0;
    const { rows: figures } = await db.query<{ name: string; key: string; value: string }>(
      "SELECT name, key, value FROM analytics_figures WHERE generation = $1",
      [generation],
    );
    const { rows: progress } = await db.query<{
      in_flight: number;
      orders: number;
      p50: number | null;
      p95: number | null;
      p99: number | null;
    }>(
      `SELECT (SELECT count(*)::int FROM analytics_order_progress
                WHERE generation = $1 AND placed_at IS NOT NULL AND confirmed_at IS NULL AND cancelled_at IS NULL)
                AS in_flight,
              count(*)::int AS orders,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
         FROM analytics_order_progress
        WHERE generation = $1 AND latency_ms IS NOT NULL
          AND terminal_at > now() - $2::bigint * interval '1 millisecond'`,
      [generation, options.latencyWindowMs],
    );
    const { rows: last } = await db.query<{ at: Date | null }>(
      "SELECT max(occurred_at) AS at FROM analytics_facts WHERE generation = $1",
      [generation],
    );
    return toSummary(generation, figures, progress[0]!, last[0]?.at ?? null, options.latencyWindowMs);
  });
}

function toSummary(
  generation: number,
  rows: readonly { name: string; key: string; value: string }[],
  progress: { in_flight: number; orders: number; p50: number | null; p95: number | null; p99: number | null },
  lastFactAt: Date | null,
  windowMs: number,
): Summary {
  const value = (name: string, key = "") =>
    Number(rows.find((row) => row.name === name && row.key === key)?.value ?? 0);
  const byKey = (name: string) =>
    Object.fromEntries(
      rows
        .filter((row) => row.name === name)
        .sort((a, b) => a.key.localeCompare(b.key))
        .map((row) => [row.key, Number(row.value)]),
    );
  const currencies = [
    ...new Set(rows.filter((row) => row.name.startsWith("revenue.")).map((row) => row.key)),
  ].sort();
  const round = (ms: number | null) => (ms === null ? null : Math.round(ms));
  const facts = value("facts");
  return {
    version: `${generation}:${facts}`,
    generation,
    asOf: new Date().toISOString(),
    facts,
    lastFactAt: lastFactAt?.toISOString() ?? null,
    orders: {
      placed: value("orders.placed"),
      confirmed: value("orders.confirmed"),
      cancelled: value("orders.cancelled"),
      inFlight: progress.in_flight,
      cancelledByReason: byKey("orders.cancelled_by_reason"),
    },
    funnel: Object.fromEntries(FUNNEL_STAGES.map((stage) => [stage, value(`funnel.${stage}`)])) as Record<
      FunnelStage,
      number
    >,
    revenue: currencies.map((currency) => {
      const grossMinor = value("revenue.gross", currency);
      const refundedMinor = value("revenue.refunded", currency);
      return { currency, grossMinor, refundedMinor, netMinor: grossMinor - refundedMinor };
    }),
    payments: {
      processed: value("payments.processed"),
      failed: value("payments.failed"),
      refunded: value("payments.refunded"),
      failedByReason: byKey("payments.failed_by_reason"),
    },
    inventory: {
      reserved: value("inventory.reserved"),
      reservationFailed: value("inventory.reservation_failed"),
      released: value("inventory.released"),
    },
    emails: { sent: value("emails.sent"), failed: value("emails.failed") },
    periods: { summarized: value("periods.summarized") },
    latency: {
      windowMs,
      orders: progress.orders,
      p50Ms: round(progress.p50),
      p95Ms: round(progress.p95),
      p99Ms: round(progress.p99),
    },
  };
}

/** Most buckets one time-series answer holds (a day of minutes). */
export const MAX_BUCKETS = 1_440;

/**
 * Per-bucket figures between `from` (aligned down to the step) and `to` (exclusive); every bucket is
 * present, zero when nothing happened. `stepMs` is a whole number of minutes; the caller keeps the
 * range within {@link MAX_BUCKETS} steps.
 */
export async function readTimeSeries(
  pool: pg.Pool,
  range: { from: Date; to: Date; stepMs: number },
): Promise<TimeSeries> {
  const { stepMs } = range;
  const start = Math.floor(range.from.getTime() / stepMs) * stepMs;
  const end = range.to.getTime();
  const buckets: number[] = [];
  for (let at = start; at < end; at += stepMs) buckets.push(at);
  const { rows } = await pool.query<{ at: string; name: string; key: string; value: string }>(
    `SELECT (extract(epoch FROM date_bin($1::bigint * interval '1 millisecond', minute, 'epoch'::timestamptz)) * 1000)::bigint AS at,
            name, key, sum(value) AS value
       FROM analytics_minute_figures
      WHERE generation = ${LIVE}
        AND minute >= 'epoch'::timestamptz + $2::bigint * interval '1 millisecond'
        AND minute < 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'
      GROUP BY 1, 2, 3`,
    [stepMs, start, end],
  );
  const index = new Map(buckets.map((at, i) => [at, i]));
  const series = () => buckets.map(() => 0);
  const result: TimeSeries = {
    from: new Date(start).toISOString(),
    to: range.to.toISOString(),
    stepSeconds: stepMs / 1000,
    buckets,
    placed: series(),
    confirmed: series(),
    cancelled: series(),
    revenue: [],
  };
  const revenue = new Map<string, TimeSeries["revenue"][number]>();
  for (const row of rows) {
    const i = index.get(Number(row.at));
    if (i === undefined) continue;
    const value = Number(row.value);
    if (row.name === "orders.placed") result.placed[i] = value;
    else if (row.name === "orders.confirmed") result.confirmed[i] = value;
    else if (row.name === "orders.cancelled") result.cancelled[i] = value;
    else if (row.name === "revenue.gross" || row.name === "revenue.refunded") {
      let entry = revenue.get(row.key);
      if (!entry) {
        entry = { currency: row.key, grossMinor: series(), refundedMinor: series() };
        revenue.set(row.key, entry);
      }
      (row.name === "revenue.gross" ? entry.grossMinor : entry.refundedMinor)[i] = value;
    }
  }
  result.revenue = [...revenue.values()].sort((a, b) => a.currency.localeCompare(b.currency));
  return result;
}

/** Products by units sold in confirmed orders, best first. */
export async function readSkus(pool: pg.Pool, limit: number): Promise<SkuFigures[]> {
  const { rows } = await pool.query<{
    sku: string;
    currency: string;
    units: string;
    revenue_minor: string;
    orders: string;
  }>(
    `SELECT sku, currency, units, revenue_minor, orders FROM analytics_sku_figures
      WHERE generation = ${LIVE}
      ORDER BY units DESC, revenue_minor DESC, sku, currency
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    sku: row.sku,
    currency: row.currency,
    units: Number(row.units),
    revenueMinor: Number(row.revenue_minor),
    orders: Number(row.orders),
  }));
}

export interface RecentOrder {
  orderId: string;
  placedAt: string;
  /** The furthest stage reached: placed, reserved, paid, confirmed or cancelled. */
  status: string;
  cancelReason: string | null;
  latencyMs: number | null;
}

/** The orders placed last, newest first, with how far each got. */
export async function readRecentOrders(pool: pg.Pool, limit: number): Promise<RecentOrder[]> {
  const { rows } = await pool.query<{
    order_id: string;
    placed_at: Date;
    status: string;
    cancel_reason: string | null;
    latency_ms: string | null;
  }>(
    `SELECT order_id, placed_at, cancel_reason, latency_ms,
            CASE WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                 WHEN confirmed_at IS NOT NULL THEN 'confirmed'
                 WHEN paid_at IS NOT NULL THEN 'paid'
                 WHEN reserved_at IS NOT NULL THEN 'reserved'
                 ELSE 'placed' END AS status
       FROM analytics_order_progress
      WHERE generation = ${LIVE} AND placed_at IS NOT NULL
      ORDER BY placed_at DESC, order_id
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    orderId: row.order_id,
    placedAt: row.placed_at.toISOString(),
    status: row.status,
    cancelReason: row.cancel_reason,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
  }));
}

/** Every fact about one order, in the order they happened; empty when the order is unknown. */
export async function readTimeline(pool: pg.Pool, orderId: string): Promise<TimelineEntry[]> {
  const { rows } = await pool.query<{
    event_id: string;
    event_type: string;
    occurred_at: Date;
    producer: string;
    causation_id: string | null;
    correlation_id: string;
    detail: string;
    trace_id: string | null;
  }>(
    `SELECT event_id, event_type, occurred_at, producer, causation_id, correlation_id, detail, trace_id
       FROM analytics_facts
      WHERE generation = ${LIVE} AND order_id = $1
      ORDER BY occurred_at, event_id`,
    [orderId],
  );
  return rows.map((row) => ({
    eventId: row.event_id,
    type: row.event_type,
    occurredAt: row.occurred_at.toISOString(),
    producer: row.producer,
    causationId: row.causation_id,
    correlationId: row.correlation_id,
    detail: row.detail,
    traceId: row.trace_id,
  }));
}
