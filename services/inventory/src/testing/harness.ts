import type { DomainEvent, EventOf } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { type ServiceContext, withTransaction } from "@herald/service-kit";
import { startServiceUnderTest } from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import type { InventoryConfig } from "../config.js";
import { inventoryService } from "../service.js";

/** The services' test logger (silent unless TEST_LOG_LEVEL names a level), which the harness's service uses. */
export { testLogger as logger } from "@herald/service-kit/testing";

export interface OutboxRow {
  readonly type: string;
  readonly data: Record<string, unknown> & {
    orderId: string;
    metadata: { eventId: string; correlationId: string; causationId: string | null; producer: string };
  };
}

export interface StockRow {
  readonly onHand: number;
  readonly reserved: number;
}

/** The Inventory service's app and reactions on a fresh Postgres schema of its own database. */
export interface Harness {
  readonly context: ServiceContext<InventoryConfig>;
  readonly pool: pg.Pool;
  readonly schemaUrl: string;
  readonly app: FastifyInstance;
  /** The consumer's handler, built once as the service builds it. */
  readonly reactions: (event: DomainEvent, tx: pg.ClientBase) => Promise<void>;
  /** Runs the consumer's handler on `event` in a transaction of its own, as the consumer would. */
  handle(event: DomainEvent): Promise<void>;
  stock(sku: string): Promise<StockRow>;
  setStock(sku: string, onHand: number, reserved?: number): Promise<void>;
  outbox(orderId?: string): Promise<OutboxRow[]>;
  reservationStatus(orderId: string): Promise<string | undefined>;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function createHarness(options: { poolSize?: number } = {}): Promise<Harness> {
  const { scratch, context, pool, app, close } = await startServiceUnderTest(inventoryService, {
    env: { DATABASE_POOL_SIZE: String(options.poolSize ?? 5) },
  });
  const react = inventoryService.consumer!.handler(context);
  return {
    context,
    pool,
    schemaUrl: scratch.url,
    app,
    reactions: react,
    handle: (event) => withTransaction(pool, (tx) => react(event, tx)),
    async stock(sku) {
      const { rows } = await pool.query<StockRow>(
        `SELECT on_hand AS "onHand", reserved FROM stock WHERE sku = $1`,
        [sku],
      );
      if (!rows[0]) throw new Error(`no stock row for ${sku}`);
      return rows[0];
    },
    async setStock(sku, onHand, reserved = 0) {
      await pool.query(
        `INSERT INTO stock (sku, on_hand, reserved) VALUES ($1, $2, $3)
         ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved`,
        [sku, onHand, reserved],
      );
    },
    async outbox(orderId) {
      const { rows } = await pool.query<OutboxRow>(
        `SELECT event_type AS type, payload AS data FROM outbox
          WHERE $1::text IS NULL OR aggregate_key = $1 ORDER BY id`,
        [orderId ?? null],
      );
      return rows;
    },
    async reservationStatus(orderId) {
      const { rows } = await pool.query<{ status: string }>(
        "SELECT status FROM reservations WHERE order_id = $1",
        [orderId],
      );
      return rows[0]?.status;
    },
    async count(table) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)}`,
      );
      return rows[0]!.n;
    },
    close,
  };
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

export const orderLine = (sku: string, quantity: number) => ({ sku, quantity });

/** An OrderPlaced for `orderId` with these lines (priced at 1.00 each; inventory ignores prices). */
export function orderPlaced(
  orderId: string,
  lines: readonly { sku: string; quantity: number }[],
): EventOf<"OrderPlaced"> {
  return sampleEvent("OrderPlaced", {
    orderId,
    lines: lines.map((line) => ({ ...line, unitPrice: eur(100) })),
    total: eur(lines.reduce((sum, line) => sum + line.quantity * 100, 0)),
  });
}

/**
 * What the InventoryReserved for `placed` holds (to match against): its order, the lines reserved,
 * and inventory as its producer, caused by the order and in its saga.
 */
export const reservationOf = (
  placed: EventOf<"OrderPlaced">,
  lines: readonly { sku: string; quantity: number }[],
) => ({
  type: "InventoryReserved",
  data: {
    orderId: placed.data.orderId,
    lines,
    metadata: {
      producer: "inventory",
      causationId: placed.data.metadata.eventId,
      correlationId: placed.data.metadata.correlationId,
    },
  },
});

/** Another event about the same order, caused by `cause` (so it shares the saga's correlation id). */
export function followUp<K extends "OrderConfirmed" | "OrderCancelled" | "PaymentFailed">(
  type: K,
  cause: EventOf<"OrderPlaced">,
): EventOf<K> {
  const event = sampleEvent(type, { orderId: cause.data.orderId } as never) as DomainEvent;
  const metadata = {
    ...event.data.metadata,
    correlationId: cause.data.metadata.correlationId,
    causationId: cause.data.metadata.eventId,
  };
  return { ...event, data: { ...event.data, metadata } } as unknown as EventOf<K>;
}

/** The same event under a new event id: what a producer that retried after a crash would send. */
export function withNewEventId<E extends DomainEvent>(event: E): E {
  const fresh = sampleEvent(event.type);
  return {
    ...event,
    data: { ...event.data, metadata: { ...event.data.metadata, eventId: fresh.data.metadata.eventId } },
  } as E;
}
