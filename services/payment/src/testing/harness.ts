import { createMetadata, type DomainEvent, type EventOf, type Metadata } from "@herald/events";
import { shippingAddress } from "@herald/events/testing";
import { withTransaction } from "@herald/service-kit";
import {
  freshForEachTest,
  type Inject,
  injectAs,
  startServiceUnderTest,
  testLogger,
  testTokens,
} from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { expect } from "vitest";
import type { PaymentGateway } from "../gateway/gateway.js";
import { createSimulatedGateway } from "../gateway/simulator.js";
import { createPaymentReactions } from "../payments/reactions.js";
import { createPaymentWorker, type PaymentWorker, type PaymentWorkerOptions } from "../payments/worker.js";
import { paymentService } from "../service.js";

export const logger = testLogger;

export const RETRY = { maxAttempts: 5, initialMs: 50, maxMs: 200 };
export const GATEWAY_TIMEOUT_MS = 2_000;

/** The Payment service's pieces on a fresh schema of herald_payment, with a clock the test can move. */
export interface Harness {
  readonly pool: pg.Pool;
  readonly app: FastifyInstance;
  /** Requests as support staff: this service's API is staff's view of an order. */
  readonly support: Inject;
  readonly gateway: ReturnType<typeof createSimulatedGateway>;
  /** Runs the consumer's handler the way the consumer does: once per event id, in one transaction. */
  deliver(event: DomainEvent): Promise<"processed" | "duplicate">;
  /** A worker on this schema; `gateway` defaults to the simulator. */
  worker(options?: Partial<PaymentWorkerOptions> & { gateway?: PaymentGateway }): PaymentWorker;
  /** Moves the clock of reactions and workers; real time until set. */
  setNow(at: number | undefined): void;
  now(): number;
  count(table: string, where?: string): Promise<number>;
  /** The outbox's events for an order, oldest first. */
  announced(orderId: string): Promise<{ type: string; data: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly latencyMs?: number;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  let clock: number | undefined;
  const now = () => clock ?? Date.now();
  const date = () => new Date(now());
  const { pool, app, close } = await startServiceUnderTest(paymentService, {
    env: { DATABASE_POOL_SIZE: "8" },
    logger,
    now: date,
  });
  const gateway = createSimulatedGateway({ pool, latencyMs: options.latencyMs ?? 0 });
  const react = createPaymentReactions({ logger, now: date });
  return {
    pool,
    app,
    support: injectAs(app, await testTokens.staff("support")),
    gateway,
    deliver: (event) =>
      withTransaction(pool, async (tx) => {
        const inbox = await tx.query(
          "INSERT INTO inbox (consumer_group, event_id) VALUES ('payment-test', $1) ON CONFLICT DO NOTHING",
          [event.data.metadata.eventId],
        );
        if (inbox.rowCount === 0) return "duplicate";
        await react(event, tx);
        return "processed";
      }),
    worker: (overrides = {}) =>
      createPaymentWorker({
        pool,
        gateway,
        logger,
        retry: RETRY,
        gatewayTimeoutMs: GATEWAY_TIMEOUT_MS,
        pollMs: 20,
        now: date,
        ...overrides,
      }),
    setNow(at) {
      clock = at;
    },
    now,
    async count(table, where = "true") {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(table)} WHERE ${where}`,
      );
      return rows[0]!.n;
    },
    async announced(orderId) {
      const { rows } = await pool.query<{ event_type: string; payload: Record<string, unknown> }>(
        "SELECT event_type, payload FROM outbox WHERE aggregate_key = $1 ORDER BY id",
        [orderId],
      );
      return rows.map((row) => ({ type: row.event_type, data: row.payload }));
    },
    close,
  };
}

/**
 * Creates a harness before each test of the calling file and closes it after; the returned
 * object always answers for the current test's.
 */
export function harnessPerTest(options: HarnessOptions = {}): Harness {
  return freshForEachTest("the harness", () => createHarness(options));
}

/** The order's payment as support reads it, if it has one (never more than one). */
export async function paymentOf(h: Harness, orderId: string) {
  const { payments } = (await h.support(`/payments?orderId=${orderId}`)).json();
  expect(payments.length).toBeLessThanOrEqual(1);
  return payments[0];
}

/** How many charges for the order the simulated processor made. */
export const charges = (h: Harness, orderId: string) =>
  h.count("gateway_simulator_ledger", `idempotency_key = '${orderId}' AND result = 'succeeded'`);

/** How many refunds for the order the simulated processor made. */
export const refunds = (h: Harness, orderId: string) =>
  h.count("gateway_simulator_ledger", `idempotency_key = '${orderId}:refund' AND result = 'succeeded'`);

/** The types of the events the service announced for the order, oldest first. */
export const announcedTypes = async (h: Harness, orderId: string) =>
  (await h.announced(orderId)).map((event) => event.type);

/** Runs worker rounds until one finds nothing due. */
export async function drain(h: Harness, worker = h.worker()): Promise<void> {
  for (let round = 0; round < 20; round++) if ((await worker.runOnce()) === 0) return;
  throw new Error("the worker never ran out of due work");
}

/** Delivers the events one after the other, as the consumer would, then runs the worker until it is idle. */
export async function deliverAndDrain(h: Harness, ...events: DomainEvent[]): Promise<void> {
  for (const event of events) await h.deliver(event);
  await drain(h);
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
export const TOTAL = eur(5070);

/** The upstream events of one order, as order and inventory would publish them. */
export function orderEvents(orderId: string, token = "tok_visa") {
  const placedMetadata = createMetadata({ producer: "order" });
  const lines = [
    { sku: "HRL-MUG-BLUE", quantity: 2, unitPrice: eur(1290) },
    { sku: "HRL-TEE-BLACK-M", quantity: 1, unitPrice: eur(2490) },
  ];
  const customer = { customerId: "cust-42", customerEmail: "ada@example.com" };
  const from = (producer: string, cause: Metadata = placedMetadata) => createMetadata({ producer, cause });
  return {
    placed: (metadata: Metadata = placedMetadata): EventOf<"OrderPlaced"> => ({
      type: "OrderPlaced",
      data: {
        metadata,
        orderId,
        ...customer,
        lines,
        total: TOTAL,
        paymentMethodToken: token,
        shippingAddress: shippingAddress(),
      },
    }),
    reserved: (metadata: Metadata = from("inventory")): EventOf<"InventoryReserved"> => ({
      type: "InventoryReserved",
      data: {
        metadata,
        orderId,
        lines: lines.map(({ sku, quantity }) => ({ sku, quantity })),
      },
    }),
    cancelled: (metadata: Metadata = from("order")): EventOf<"OrderCancelled"> => ({
      type: "OrderCancelled",
      data: { metadata, orderId, ...customer, lines, total: TOTAL, reason: "CUSTOMER_REQUEST", detail: null },
    }),
    confirmed: (metadata: Metadata = from("order")): EventOf<"OrderConfirmed"> => ({
      type: "OrderConfirmed",
      data: { metadata, orderId, ...customer, lines, total: TOTAL },
    }),
    /** The same event again under a new event id, as a producer retrying without its outbox would send it. */
    again: <E extends DomainEvent>(event: E): E =>
      ({ ...event, data: { ...event.data, metadata: from(event.data.metadata.producer) } }) as E,
    placedMetadata,
  };
}
