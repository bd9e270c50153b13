import { randomUUID } from "node:crypto";
import { createMetadata, type Metadata } from "@herald/events";
import { enqueueAll } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import { withTransaction } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import { findCatalogItems } from "../catalog/catalog.js";
import { OrderError } from "../errors.js";
import { decide } from "./decide.js";
import { orderDecider } from "./decider.js";
import type { OrderCommand, OrderEvent, OrderState, PlaceOrder, SagaEvent } from "./domain.js";
import { appendToStream, readStreamPage } from "./event-store.js";
import { claimIdempotencyKey, requestHash, saveIdempotentResponse } from "./idempotency.js";
import { findView, type OrderView, saveView, toView } from "./projection.js";
import { loadOrder, snapshotIfDue } from "./snapshots.js";

export const PRODUCER = "order";

/** What the API shows in place of a secret the order keeps (the payment token). */
export const REDACTED = "[redacted]";

export type PlaceOrderRequest = Omit<PlaceOrder["data"], "orderId" | "catalog">;

export interface PlaceOrderResult {
  readonly statusCode: number;
  readonly body: { orderId: string; status: string; total: { amountMinor: number; currency: string } };
  /** True when an earlier request with the same Idempotency-Key already answered this. */
  readonly replayed: boolean;
}

export interface Decision {
  readonly state: OrderState;
  readonly events: readonly OrderEvent[];
}

interface Origin {
  readonly cause?: Metadata;
  readonly traceparent?: string | null;
}

export type OrderHandler = ReturnType<typeof createOrderHandler>;

/** How many of an order's events `/history` answers at a time, by default and at most. */
export const HISTORY_PAGE = { default: 100, max: 1000 } as const;

/**
 * The order's use cases around the pure core: read the state (its latest snapshot and the events
 * since), decide, then append the new events, put the same events in the outbox, update the view
 * and, every `snapshotEvery` versions, store a snapshot, all in one transaction.
 */
export function createOrderHandler(options: {
  pool: pg.Pool;
  now?: Clock;
  maxAttempts?: number;
  /** ORDER_SNAPSHOT_EVERY: the state is stored each time an append crosses a multiple of it. */
  snapshotEvery?: number;
}) {
  const { pool } = options;
  const snapshotEvery = options.snapshotEvery ?? 100;
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 3;

  /** `fresh`: the order id was just made here, so its stream is known to be empty and is not read. */
  async function execute(
    tx: pg.ClientBase,
    orderId: string,
    input: OrderCommand | SagaEvent,
    origin: Origin,
    fresh = false,
  ): Promise<Decision> {
    const state = fresh ? null : await loadOrder(tx, orderId);
    const drafts = decide(input, state);
    if (drafts.length === 0) return { state, events: [] };
    const at = now();
    const events = drafts.map(
      (draft) =>
        ({
          type: draft.type,
          data: {
            ...draft.data,
            metadata: createMetadata({
              producer: PRODUCER,
              cause: origin.cause,
              // The saga's id is set once, when the order is placed; later events inherit it.
              ...(origin.cause || !state ? {} : { correlationId: state.correlationId }),
              traceparent: origin.traceparent ?? origin.cause?.traceparent ?? null,
              now: at,
            }),
          },
        }) as OrderEvent,
    );
    await appendToStream(tx, orderId, state?.version ?? 0, events);
    await enqueueAll(tx, events);
    const next = foldFacts(orderDecider, state, events);
    if (next) {
      await saveView(tx, next);
      await snapshotIfDue(tx, next, events.length, snapshotEvery);
    }
    return { state: next, events };
  }

  /** Retries the whole transaction when another writer appended to the order meanwhile. */
  async function withRetry<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(pool, work);
      } catch (error) {
        if (
          !(error instanceof OrderError && error.code === "ORDER_CONCURRENCY_CONFLICT") ||
          attempt >= maxAttempts
        )
          throw error;
      }
    }
  }

  return {
    /** Places an order priced from the catalog; with an Idempotency-Key, a retry gets the first answer. */
    async place(
      request: PlaceOrderRequest,
      context: { idempotencyKey?: string | undefined; rawBody?: unknown; traceparent?: string | null },
    ): Promise<PlaceOrderResult> {
      const key = context.idempotencyKey;
      const hash = key === undefined ? "" : requestHash(context.rawBody ?? request);
      return withTransaction(pool, async (tx) => {
        if (key !== undefined) {
          const stored = await claimIdempotencyKey(tx, key, hash);
          if (stored) return { ...stored, replayed: true } as PlaceOrderResult;
        }
        const orderId = randomUUID();
        const catalog = await findCatalogItems(
          tx,
          request.items.map((item) => item.sku),
        );
        const { state } = await execute(
          tx,
          orderId,
          { type: "PlaceOrder", data: { ...request, orderId, catalog } },
          { traceparent: context.traceparent ?? null },
          // A new random id: reading its (empty) stream would cost a round trip per order. Were it
          // ever taken, appending version 1 would fail on the stream's key rather than overwrite.
          true,
        );
        const body = { orderId, status: state!.status, total: state!.total };
        if (key !== undefined) await saveIdempotentResponse(tx, key, { statusCode: 202, body });
        return { statusCode: 202, body, replayed: false };
      });
    },

    /** Cancels on the customer's request; cancelling a cancelled order again changes nothing. */
    async cancel(orderId: string, context: { traceparent?: string | null } = {}): Promise<OrderView> {
      const { state } = await withRetry((tx) =>
        execute(
          tx,
          orderId,
          { type: "CancelOrder", data: { orderId } },
          { traceparent: context.traceparent ?? null },
        ),
      );
      return toView(state!);
    },

    /** Reacts to another service's event inside the consumer's transaction (which retries conflicts). */
    react(event: SagaEvent, tx: pg.ClientBase): Promise<Decision> {
      return execute(tx, event.data.orderId, event, { cause: event.data.metadata });
    },

    async get(orderId: string, asOf?: Date): Promise<OrderView> {
      if (asOf) {
        const state = await loadOrder(pool, orderId, asOf);
        if (!state)
          throw new OrderError("ORDER_NOT_FOUND", `order ${orderId} did not exist at ${asOf.toISOString()}`);
        return toView(state);
      }
      const view = await findView(pool, orderId);
      if (!view) throw new OrderError("ORDER_NOT_FOUND", `order ${orderId} does not exist`);
      return view;
    },

    /**
     * A page of the order's events for its owner: whose order it is, up to `limit` events after
     * version `after` with the payment token redacted, and the `after` of the next page (null at the end).
     */
    async history(orderId: string, page: { after?: number; limit?: number } = {}) {
      const after = page.after ?? 0;
      const { first, events, next } = await readStreamPage(
        pool,
        orderId,
        after,
        page.limit ?? HISTORY_PAGE.default,
      );
      const placed = first?.event;
      if (placed?.type !== "OrderPlaced")
        throw new OrderError("ORDER_NOT_FOUND", `order ${orderId} does not exist`);
      return {
        customerId: placed.data.customerId,
        next,
        events: events.map(({ version, recordedAt, event }) => ({
          version,
          type: event.type,
          occurredAt: new Date(event.data.metadata.occurredAt).toISOString(),
          recordedAt: recordedAt.toISOString(),
          data: event.type === "OrderPlaced" ? { ...event.data, paymentMethodToken: REDACTED } : event.data,
        })),
      };
    },
  };
}
