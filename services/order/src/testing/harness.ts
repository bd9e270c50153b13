import { createMetadata, type Metadata } from "@herald/events";
import { ORDER_ADDRESS } from "@herald/events/testing";
import { withTransaction } from "@herald/service-kit";
import {
  type Inject,
  injectAs,
  type Reopenable,
  reopenableForEachTest,
  startServiceUnderTest,
  testTokens,
} from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import type { Registry } from "prom-client";
import { expect } from "vitest";
import type { SagaEvent } from "../orders/domain.js";
import { createOrderHandler, type OrderHandler } from "../orders/handler.js";
import { orderService } from "../service.js";

/** The services' test logger (silent unless TEST_LOG_LEVEL names a level), which the harness's service uses. */
export { testLogger as logger } from "@herald/service-kit/testing";

/** The Order service's app on its own fresh Postgres schema, with a clock the test can move. */
export interface Harness {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly app: FastifyInstance;
  /** Requests as the customer of {@link validOrder} (cust-42, ada@example.com). */
  readonly customer: Inject;
  /** Requests as support staff, who act for any customer. */
  readonly support: Inject;
  readonly handler: OrderHandler;
  readonly metrics: Registry;
  /** Moves the handler's clock; the real time is used until it is set. */
  setNow(at: Date | undefined): void;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly poolSize?: number;
  readonly env?: Record<string, string>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  let now: Date | undefined;
  const { scratch, context, pool, app, close } = await startServiceUnderTest(orderService, {
    env: { DATABASE_POOL_SIZE: String(options.poolSize ?? 5), ...options.env },
    now: () => now ?? new Date(),
  });
  return {
    schema: scratch.name,
    pool,
    app,
    customer: injectAs(app, await testTokens.customer(CUSTOMER.id, CUSTOMER.email)),
    support: injectAs(app, await testTokens.staff("support")),
    handler: createOrderHandler({ pool, now: context.now }),
    metrics: context.metrics,
    setNow(at) {
      now = at;
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

/** The customer the harness's `customer` requests come from. */
export const CUSTOMER = { id: "cust-42", email: "ada@example.com" } as const;

export const validOrder = () => ({
  customerId: CUSTOMER.id,
  customerEmail: CUSTOMER.email,
  items: [
    { sku: "HRL-MUG-BLUE", quantity: 2 },
    { sku: "HRL-TEE-BLACK-M", quantity: 1 },
  ],
  paymentMethodToken: "tok_visa",
  shippingAddress: { ...ORDER_ADDRESS },
});

/** 2 × 12.90 + 1 × 24.90 from the seeded catalog. */
export const VALID_ORDER_TOTAL = { amountMinor: 5070, currency: "EUR" };

/** A {@link Harness} that is a fresh one in every test of the file that asks for it. */
export type PerTestHarness = Reopenable<Harness, HarnessOptions>;

/**
 * Creates a harness before each test of the calling file and closes it after; the returned
 * object always answers for the current test's, and `reopen(options)` swaps it for one made with
 * other options for the rest of the test.
 */
export function harnessPerTest(options: HarnessOptions = {}): PerTestHarness {
  return reopenableForEachTest("the harness", createHarness, options);
}

/** POSTs an order as the harness's customer. */
export const postOrder = (h: Harness, payload: unknown, headers: Record<string, string> = {}) =>
  h.customer({ method: "POST", url: "/orders", payload: payload as object, headers });

/** Places {@link validOrder} and answers its id. */
export async function placeOrder(h: Harness): Promise<string> {
  const response = await postOrder(h, validOrder());
  expect(response.statusCode).toBe(202);
  return response.json().orderId;
}

/** Expects no event, order, idempotency key or outbox row in the harness's schema. */
export async function nothingWritten(h: Harness): Promise<void> {
  expect({
    events: await h.count("order_events"),
    orders: await h.count("orders"),
    keys: await h.count("idempotency_keys"),
    outbox: await h.count("outbox"),
    snapshots: await h.count("order_snapshots"),
  }).toEqual({ events: 0, orders: 0, keys: 0, outbox: 0, snapshots: 0 });
}

/** The payment service's PaymentProcessed for the order, caused by `cause`. */
export const paymentProcessed = (orderId: string, cause: Metadata): SagaEvent => ({
  type: "PaymentProcessed",
  data: {
    metadata: createMetadata({ producer: "payment", cause }),
    orderId,
    paymentId: "pay-1",
    amount: VALID_ORDER_TOTAL,
  },
});

/** Confirms the order as the payment service's PaymentProcessed would. */
export async function confirm(h: Harness, id: string): Promise<void> {
  const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
  await withTransaction(h.pool, (tx) => h.handler.react(paymentProcessed(id, placed.metadata), tx));
}

/** Requests as the customer whose token the given promise issues. */
export const requestsAs = async (h: Harness, token: Promise<string>) => injectAs(h.app, await token);

/** Requests as cust-99, a customer who owns none of the harness customer's orders. */
export const stranger = (h: Harness) => requestsAs(h, testTokens.customer("cust-99"));
