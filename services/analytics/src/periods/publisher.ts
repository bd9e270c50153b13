import { createMetadata } from "@herald/events";
import { enqueue } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import { withTransaction } from "@herald/service-kit";
import type pg from "pg";
import { type Period, type PeriodFigures, periodIdOf, periodsDue, summaryEventOf } from "./periods.js";

export interface PeriodPublisherOptions {
  readonly pool: pg.Pool;
  readonly periodMs: number;
  readonly graceMs: number;
  readonly now?: Clock;
}

/**
 * Summarizes each closed period once: the period's row and its SalesPeriodSummarized go into the
 * outbox in one transaction, and the row's primary key turns every other instance's attempt (or
 * a retry after a crash) into a no-op. Returns the period ids this call published.
 */
export function createPeriodPublisher(options: PeriodPublisherOptions): { publishDue(): Promise<string[]> } {
  const { pool, periodMs, graceMs } = options;
  const now = options.now ?? (() => new Date());
  return {
    async publishDue() {
      const at = now();
      const { rows } = await pool.query<{ end: Date | null }>(
        "SELECT max(period_end) AS end FROM analytics_periods",
      );
      const lastPublishedEnd = rows[0]?.end?.getTime();
      const published: string[] = [];
      for (const period of periodsDue({ now: at.getTime(), periodMs, graceMs, lastPublishedEnd })) {
        const done = await withTransaction(pool, (tx) => publishPeriod(tx, period, at));
        if (done) published.push(done);
      }
      return published;
    },
  };
}

async function publishPeriod(tx: pg.ClientBase, period: Period, at: Date): Promise<string | undefined> {
  const metadata = createMetadata({ producer: "analytics", now: at });
  const periodId = periodIdOf(period);
  const { rowCount } = await tx.query(
    `INSERT INTO analytics_periods (period_id, period_start, period_end, event_id)
     VALUES ($1, 'epoch'::timestamptz + $2::bigint * interval '1 millisecond',
             'epoch'::timestamptz + $3::bigint * interval '1 millisecond', $4)
     ON CONFLICT (period_id) DO NOTHING`,
    [periodId, period.start, period.end, metadata.eventId],
  );
  if (rowCount !== 1) return undefined;
  await enqueue(tx, summaryEventOf(period, await readPeriodFigures(tx, period), metadata));
  return periodId;
}

/** The period's figures from the live generation's facts that occurred in it. */
export async function readPeriodFigures(db: pg.ClientBase | pg.Pool, period: Period): Promise<PeriodFigures> {
  const range = [period.start, period.end];
  const facts = `
    WITH f AS (
      SELECT event_type, payload FROM analytics_facts
       WHERE generation = (SELECT generation FROM analytics_generations WHERE state = 'live')
         AND occurred_at >= 'epoch'::timestamptz + $1::bigint * interval '1 millisecond'
         AND occurred_at < 'epoch'::timestamptz + $2::bigint * interval '1 millisecond'
         AND event_type IN ('OrderPlaced', 'OrderConfirmed', 'OrderCancelled', 'PaymentRefunded'))`;
  const { rows: counts } = await db.query<{ placed: number; confirmed: number; cancelled: number }>(
    `${facts}
     SELECT count(*) FILTER (WHERE event_type = 'OrderPlaced')::int AS placed,
            count(*) FILTER (WHERE event_type = 'OrderConfirmed')::int AS confirmed,
            count(*) FILTER (WHERE event_type = 'OrderCancelled')::int AS cancelled
       FROM f`,
    range,
  );
  const { rows: revenue } = await db.query<{ currency: string; amount: string }>(
    `${facts}
     SELECT currency, sum(amount) AS amount FROM (
       SELECT payload->'total'->>'currency' AS currency, (payload->'total'->>'amountMinor')::bigint AS amount
         FROM f WHERE event_type = 'OrderConfirmed'
       UNION ALL
       -- A refund takes off only what was booked for its order (never revenue that was not).
       SELECT f.payload->'amount'->>'currency',
              -LEAST((f.payload->'amount'->>'amountMinor')::bigint, r.booked_minor)
         FROM f JOIN analytics_order_revenue r
           ON r.generation = (SELECT generation FROM analytics_generations WHERE state = 'live')
          AND r.order_id = f.payload->>'orderId'
          AND r.currency = f.payload->'amount'->>'currency'
        WHERE f.event_type = 'PaymentRefunded' AND r.booked_minor > 0) money
      GROUP BY currency ORDER BY currency`,
    range,
  );
  const { rows: skus } = await db.query<{ sku: string; quantity: number }>(
    `${facts}
     SELECT line->>'sku' AS sku, sum((line->>'quantity')::int)::int AS quantity
       FROM f, jsonb_array_elements(f.payload->'lines') AS line
      WHERE event_type = 'OrderConfirmed'
      GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
    range,
  );
  const count = counts[0]!;
  return {
    orderCount: count.placed,
    confirmedCount: count.confirmed,
    cancelledCount: count.cancelled,
    revenue: revenue.map((row) => ({ currency: row.currency, amountMinor: Number(row.amount) })),
    topSkus: skus,
  };
}

/** Runs the publisher on a timer (a few times per period); returns the stop function. */
export function startPeriodPublisher(
  publisher: { publishDue(): Promise<string[]> },
  options: { periodMs: number; onPublished?: (ids: string[]) => void; onError?: (error: unknown) => void },
): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    publisher
      .publishDue()
      .then((ids) => ids.length > 0 && options.onPublished?.(ids), options.onError)
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, Math.min(5_000, Math.max(250, Math.floor(options.periodMs / 4))));
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
