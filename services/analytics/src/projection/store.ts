import type { DomainEvent } from "@herald/events";
import { parseTraceparent } from "@herald/outbox";
import type pg from "pg";
import {
  type Effects,
  effectsOf,
  type FigureDelta,
  funnelDelta,
  mergeDeltas,
  minuteOf,
  type RevenueDelta,
  refundedRevenueDelta,
  type SkuDelta,
  type Stage,
} from "./effects.js";
import { storedPayloadOf } from "./stored-payload.js";

const STAGE_COLUMN: Readonly<Record<Stage, string>> = {
  placed: "placed_at",
  reserved: "reserved_at",
  paid: "paid_at",
  confirmed: "confirmed_at",
  cancelled: "cancelled_at",
};

interface Projected {
  readonly event: DomainEvent;
  readonly effects: Effects;
}

/** The generations the consumer writes: the live one and the one a rebuild is building, if any. */
export async function writableGenerations(db: pg.ClientBase): Promise<number[]> {
  const { rows } = await db.query<{ generation: number }>(
    "SELECT generation FROM analytics_generations WHERE state IN ('live', 'building') ORDER BY generation",
  );
  return rows.map((row) => row.generation);
}

/**
 * Projects `events` into `generation` inside the caller's transaction and returns how many were
 * new. A fact already recorded (a redelivery, a replay overlapping the live consumer) changes nothing.
 */
export async function applyEvents(
  tx: pg.ClientBase,
  generation: number,
  events: readonly DomainEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const fresh = await insertFacts(tx, generation, uniqueByEventId(events));
  if (fresh.length === 0) return 0;

  const figures: FigureDelta[] = [];
  const perMinute: { minute: number; delta: FigureDelta }[] = [];
  const skus: SkuDelta[] = [];
  for (const { effects } of fresh) {
    figures.push(...effects.figures);
    const minute = minuteOf(effects.fact.occurredAt);
    for (const delta of effects.perMinute) perMinute.push({ minute, delta });
    skus.push(...effects.skus);
    if (effects.stage && effects.fact.orderId !== null) {
      const reached = await markStage(
        tx,
        generation,
        effects.fact.orderId,
        effects.stage,
        effects.fact.occurredAt,
      );
      const funnel = reached ? funnelDelta(effects.stage.stage) : undefined;
      if (funnel) figures.push(funnel);
    }
    if (effects.revenue) {
      const refunded = await addOrderRevenue(tx, generation, effects.revenue, effects.fact.occurredAt);
      if (refunded) {
        figures.push(refunded.delta);
        perMinute.push(refunded);
      }
    }
  }
  await addFigures(tx, generation, mergeDeltas(figures));
  await addMinuteFigures(tx, generation, perMinute);
  await addSkuFigures(tx, generation, skus);
  return fresh.length;
}

function uniqueByEventId(events: readonly DomainEvent[]): Projected[] {
  const seen = new Set<string>();
  const unique: Projected[] = [];
  for (const event of events) {
    const id = event.data.metadata.eventId.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id);
    unique.push({ event, effects: effectsOf(event) });
  }
  return unique;
}

/** The arrays a multi-row insert hands to unnest(): one per key, each row's value of it in row order. */
function columnsOf<T, K extends keyof T>(rows: readonly T[], keys: readonly K[]): T[K][][] {
  return keys.map((key) => rows.map((row) => row[key]));
}

async function insertFacts(
  tx: pg.ClientBase,
  generation: number,
  projected: Projected[],
): Promise<Projected[]> {
  const facts = projected.map(({ effects }) => effects.fact);
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO analytics_facts (generation, event_id, event_type, order_id, producer, occurred_at,
                                  correlation_id, causation_id, detail, payload, trace_id)
     SELECT $1, f.event_id, f.event_type, f.order_id, f.producer,
            'epoch'::timestamptz + f.occurred_at * interval '1 millisecond',
            f.correlation_id, f.causation_id, f.detail, f.payload, f.trace_id
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
                   $9::text[], $10::jsonb[], $11::text[])
         AS f(event_id, event_type, order_id, producer, occurred_at, correlation_id, causation_id, detail, payload,
              trace_id)
     ON CONFLICT (generation, event_id) DO NOTHING
     RETURNING event_id`,
    [
      generation,
      ...columnsOf(facts, [
        "eventId",
        "type",
        "orderId",
        "producer",
        "occurredAt",
        "correlationId",
        "causationId",
        "detail",
      ]),
      projected.map(({ event }) => JSON.stringify(storedPayloadOf(event))),
      projected.map(({ event }) => parseTraceparent(event.data.metadata.traceparent)?.traceId ?? null),
    ],
  );
  const inserted = new Set(rows.map((row) => row.event_id.toLowerCase()));
  return projected.filter(({ effects }) => inserted.has(effects.fact.eventId.toLowerCase()));
}

/** Records when the order reached `stage`; true if it had not before (so the funnel counts it once). */
async function markStage(
  tx: pg.ClientBase,
  generation: number,
  orderId: string,
  { stage, reason }: NonNullable<Effects["stage"]>,
  occurredAt: number,
): Promise<boolean> {
  const column = STAGE_COLUMN[stage];
  const { rowCount } = await tx.query(
    `INSERT INTO analytics_order_progress AS p (generation, order_id, ${column}, cancel_reason)
     VALUES ($1, $2, 'epoch'::timestamptz + $3::bigint * interval '1 millisecond', $4)
     ON CONFLICT (generation, order_id) DO UPDATE
       SET ${column} = excluded.${column}, cancel_reason = COALESCE(p.cancel_reason, excluded.cancel_reason)
       WHERE p.${column} IS NULL`,
    [generation, orderId, occurredAt, reason],
  );
  return rowCount === 1;
}

/**
 * Adds to the order's revenue ledger and returns the change of the refunded revenue it makes, if
 * any: a refund counts only against the revenue booked for its order, so one that arrives before
 * the confirmation (or for an order never confirmed) counts nothing until revenue is booked. The
 * refunded revenue belongs to the minute of the refund, whichever fact made it count.
 */
async function addOrderRevenue(
  tx: pg.ClientBase,
  generation: number,
  revenue: RevenueDelta,
  occurredAt: number,
): Promise<{ minute: number; delta: FigureDelta } | undefined> {
  const { rows } = await tx.query<{ booked_minor: string; refunded_minor: string; refunded_at: Date | null }>(
    `INSERT INTO analytics_order_revenue AS r
       (generation, order_id, currency, booked_minor, refunded_minor, refunded_at)
     VALUES ($1, $2, $3, $4, $5,
             CASE WHEN $5::bigint > 0 THEN 'epoch'::timestamptz + $6::bigint * interval '1 millisecond' END)
     ON CONFLICT (generation, order_id, currency) DO UPDATE
       SET booked_minor = r.booked_minor + excluded.booked_minor,
           refunded_minor = r.refunded_minor + excluded.refunded_minor,
           refunded_at = COALESCE(r.refunded_at, excluded.refunded_at)
     RETURNING booked_minor, refunded_minor, refunded_at`,
    [generation, revenue.orderId, revenue.currency, revenue.bookedMinor, revenue.refundedMinor, occurredAt],
  );
  const row = rows[0]!;
  const after = { bookedMinor: Number(row.booked_minor), refundedMinor: Number(row.refunded_minor) };
  const before = {
    bookedMinor: after.bookedMinor - revenue.bookedMinor,
    refundedMinor: after.refundedMinor - revenue.refundedMinor,
  };
  const delta = refundedRevenueDelta(before, after);
  if (delta === 0 || row.refunded_at === null) return undefined;
  return {
    minute: minuteOf(row.refunded_at.getTime()),
    delta: { name: "revenue.refunded", key: revenue.currency, delta },
  };
}

async function addFigures(
  tx: pg.ClientBase,
  generation: number,
  deltas: readonly FigureDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  await tx.query(
    `INSERT INTO analytics_figures AS f (generation, name, key, value)
     SELECT $1, d.name, d.key, d.delta FROM unnest($2::text[], $3::text[], $4::bigint[]) AS d(name, key, delta)
     ON CONFLICT (generation, name, key) DO UPDATE SET value = f.value + excluded.value`,
    [generation, ...columnsOf(deltas, ["name", "key", "delta"])],
  );
}

async function addMinuteFigures(
  tx: pg.ClientBase,
  generation: number,
  deltas: readonly { minute: number; delta: FigureDelta }[],
): Promise<void> {
  if (deltas.length === 0) return;
  const merged = new Map<string, { minute: number; delta: FigureDelta }>();
  for (const entry of deltas) {
    const key = `${entry.minute}\u0000${entry.delta.name}\u0000${entry.delta.key}`;
    const seen = merged.get(key);
    merged.set(
      key,
      seen
        ? { minute: seen.minute, delta: { ...seen.delta, delta: seen.delta.delta + entry.delta.delta } }
        : entry,
    );
  }
  const rows = sortedValues(merged);
  await tx.query(
    `INSERT INTO analytics_minute_figures AS f (generation, minute, name, key, value)
     SELECT $1, 'epoch'::timestamptz + d.minute * interval '1 millisecond', d.name, d.key, d.delta
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS d(minute, name, key, delta)
     ON CONFLICT (generation, minute, name, key) DO UPDATE SET value = f.value + excluded.value`,
    [
      generation,
      rows.map((row) => row.minute),
      rows.map((row) => row.delta.name),
      rows.map((row) => row.delta.key),
      rows.map((row) => row.delta.delta),
    ],
  );
}

async function addSkuFigures(
  tx: pg.ClientBase,
  generation: number,
  deltas: readonly SkuDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  const merged = new Map<
    string,
    { sku: string; currency: string; units: number; revenue: number; orders: number }
  >();
  for (const delta of deltas) {
    const key = `${delta.sku}\u0000${delta.currency}`;
    const seen = merged.get(key) ?? {
      sku: delta.sku,
      currency: delta.currency,
      units: 0,
      revenue: 0,
      orders: 0,
    };
    merged.set(key, {
      ...seen,
      units: seen.units + delta.units,
      revenue: seen.revenue + delta.revenueMinor,
      orders: seen.orders + 1,
    });
  }
  const rows = sortedValues(merged);
  await tx.query(
    `INSERT INTO analytics_sku_figures AS f (generation, sku, currency, units, revenue_minor, orders)
     SELECT $1, d.sku, d.currency, d.units, d.revenue, d.orders
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
         AS d(sku, currency, units, revenue, orders)
     ON CONFLICT (generation, sku, currency) DO UPDATE
       SET units = f.units + excluded.units,
           revenue_minor = f.revenue_minor + excluded.revenue_minor,
           orders = f.orders + excluded.orders`,
    [generation, ...columnsOf(rows, ["sku", "currency", "units", "revenue", "orders"])],
  );
}

/** Rows in key order, so concurrent writers lock them in one order. */
function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
}
