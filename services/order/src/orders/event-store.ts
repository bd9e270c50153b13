import { schemaFingerprintOf, upcastEventData } from "@herald/events";
import type pg from "pg";
import { OrderError } from "../errors.js";
import type { OrderEvent } from "./domain.js";
import { ORDER_UPCASTERS } from "./upcasters.js";

/** One stored event of an order's stream. */
export interface RecordedEvent {
  readonly version: number;
  readonly recordedAt: Date;
  readonly event: OrderEvent;
}

/** A row of `order_events` as stored. */
interface EventRow {
  version: number;
  event_type: OrderEvent["type"];
  data: unknown;
  schema_fingerprint: string | null;
  recorded_at: Date;
}

/** The events after version `after` (0: from the first) of the prefix recorded by `$asOf` (null: all). */
const STREAM_AFTER = (after: string) => `
  SELECT version, event_type, data, schema_fingerprint, recorded_at FROM (
    SELECT *, max(date_trunc('milliseconds', recorded_at)) OVER (ORDER BY version) AS prefix_recorded_at
      FROM order_events WHERE order_id = $1 AND version > ${after}
  ) stream
  WHERE $2::timestamptz IS NULL OR prefix_recorded_at <= $2`;

/**
 * The order's events in version order, each in this build's shape: an event an older build stored
 * is read through the upcasters ({@link ORDER_UPCASTERS}) and Avro's resolution rules. With `asOf`, the longest prefix of versions the database
 * had recorded by then (at the API's millisecond resolution): the writers' clocks may disagree,
 * and their transactions may commit out of start order, so neither `occurred_at` nor each row's
 * own `recorded_at` alone gives a stream without gaps. With `after`, only the versions after it
 * (and the prefix counted from there: right when every version up to `after` was recorded by `asOf`).
 */
export async function readStream(
  db: pg.ClientBase | pg.Pool,
  orderId: string,
  options: { readonly asOf?: Date | undefined; readonly after?: number } = {},
): Promise<RecordedEvent[]> {
  const { rows } = await db.query<EventRow>(`${STREAM_AFTER("$3")} ORDER BY version`, [
    orderId,
    options.asOf ?? null,
    options.after ?? 0,
  ]);
  return rows.map(toRecorded);
}

/** One page of an order's stream, and its first event (whose OrderPlaced names the customer). */
export interface StreamPage {
  readonly first: RecordedEvent | undefined;
  readonly events: readonly RecordedEvent[];
  /** The last version of the page when later ones exist; null at the end of the stream. */
  readonly next: number | null;
}

/** Up to `limit` versions after `after`, oldest first, and version 1: one query, however long the stream. */
export async function readStreamPage(
  db: pg.ClientBase | pg.Pool,
  orderId: string,
  after: number,
  limit: number,
): Promise<StreamPage> {
  const { rows } = await db.query<EventRow>(
    `(SELECT version, event_type, data, schema_fingerprint, recorded_at FROM order_events
       WHERE order_id = $1 AND version = 1 AND $2 > 0)
     UNION ALL
     (SELECT version, event_type, data, schema_fingerprint, recorded_at FROM order_events
       WHERE order_id = $1 AND version > $2 ORDER BY version LIMIT $3)
     ORDER BY version`,
    [orderId, after, limit + 1],
  );
  const recorded = rows.map(toRecorded);
  const first = recorded[0]?.version === 1 ? recorded[0] : undefined;
  const page = recorded.filter((event) => event.version > after);
  const events = page.slice(0, limit);
  return { first, events, next: page.length > limit ? events.at(-1)!.version : null };
}

/** A row of `order_events` in this build's shape. */
function toRecorded(row: EventRow): RecordedEvent {
  return {
    version: row.version,
    recordedAt: row.recorded_at,
    event: {
      type: row.event_type,
      data: upcastEventData(row.event_type, row.data, row.schema_fingerprint, ORDER_UPCASTERS),
    } as OrderEvent,
  };
}

/**
 * Appends `events` after `expectedVersion`. Another writer that appended since the stream was
 * read makes the (order_id, version) key collide: ORDER_CONCURRENCY_CONFLICT, retryable.
 */
export async function appendToStream(
  tx: pg.ClientBase,
  orderId: string,
  expectedVersion: number,
  events: readonly OrderEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [];
  const values = events.map((event, index) => {
    params.push(
      orderId,
      expectedVersion + index + 1,
      event.data.metadata.eventId,
      event.type,
      JSON.stringify(event.data),
      new Date(event.data.metadata.occurredAt),
      schemaFingerprintOf(event.type),
    );
    const at = index * 7;
    return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7})`;
  });
  try {
    await tx.query(
      `INSERT INTO order_events (order_id, version, event_id, event_type, data, occurred_at, schema_fingerprint) VALUES ${values.join(", ")}`,
      params,
    );
  } catch (error) {
    if ((error as { code?: string; constraint?: string }).constraint === "order_events_pkey")
      throw new OrderError(
        "ORDER_CONCURRENCY_CONFLICT",
        `order ${orderId} changed after version ${expectedVersion} was read`,
        { retryable: true, cause: error },
      );
    throw error;
  }
}
