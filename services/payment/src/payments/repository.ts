import type { Metadata, PaymentFailureReason } from "@herald/events";
import type pg from "pg";
import {
  type GatewayWork,
  initialState,
  type Payment,
  type PaymentState,
  type PaymentStatus,
  type Refund,
} from "./domain.js";

interface Row {
  order_id: string;
  amount_minor: string | null;
  currency: string | null;
  payment_token: string | null;
  reserved: boolean;
  cancelled: boolean;
  payment_id: string | null;
  status: PaymentStatus | null;
  attempts: number;
  failure_reason: PaymentFailureReason | null;
  failure_detail: string | null;
  last_error: string | null;
  gateway_reference: string | null;
  requested_at: Date | null;
  settled_at: Date | null;
  refund_status: Refund["status"] | null;
  refund_attempts: number;
  refund_requested_at: Date | null;
  refunded_at: Date | null;
  refund_reference: string | null;
  work_operation: GatewayWork["operation"] | null;
  work_due_at: Date | null;
  work_in_flight: boolean;
  work_in_doubt: boolean;
  work_doubt_until: Date | null;
  cause: Metadata | null;
  updated_at: Date;
}

/** An order's payment state with the metadata of the event that asked for its pending gateway work. */
export interface StoredPayment {
  readonly state: PaymentState;
  readonly cause: Metadata | null;
}

/** What the HTTP API shows of a payment. */
export interface PaymentView {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  amount: { amountMinor: number; currency: string };
  attempts: number;
  failure: { reason: PaymentFailureReason; detail: string | null } | null;
  refund: {
    status: Refund["status"];
    attempts: number;
    requestedAt: string;
    refundedAt: string | null;
  } | null;
  requestedAt: string;
  settledAt: string | null;
  updatedAt: string;
}

/**
 * Loads the order's payment state with its row locked until the transaction ends, creating the row
 * when this is the first event about the order. Concurrent reactions to one order queue up here.
 */
export async function lockPayment(tx: pg.ClientBase, orderId: string): Promise<StoredPayment> {
  await tx.query("INSERT INTO order_payments (order_id) VALUES ($1) ON CONFLICT (order_id) DO NOTHING", [
    orderId,
  ]);
  const { rows } = await tx.query<Row>("SELECT * FROM order_payments WHERE order_id = $1 FOR UPDATE", [
    orderId,
  ]);
  const row = rows[0]!;
  return { state: toState(row), cause: row.cause };
}

/**
 * Locks up to `limit` orders whose gateway work is due at `now`, skipping rows another worker or a
 * reaction holds; their ids, oldest due first.
 */
export async function claimDue(tx: pg.ClientBase, now: number, limit: number): Promise<string[]> {
  const { rows } = await tx.query<{ order_id: string }>(
    `SELECT order_id FROM order_payments
      WHERE work_due_at <= $1
      ORDER BY work_due_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED`,
    [new Date(now), limit],
  );
  return rows.map((row) => row.order_id);
}

/** Writes the state back; `cause` replaces the stored one when given (a new gateway work was asked for). */
export async function savePayment(tx: pg.ClientBase, state: PaymentState, cause?: Metadata): Promise<void> {
  const { terms, payment, work } = state;
  const refund = payment?.refund ?? null;
  await tx.query(
    `UPDATE order_payments SET
       amount_minor = $2, currency = $3, payment_token = $4, reserved = $5, cancelled = $6,
       payment_id = $7, status = $8, attempts = $9, failure_reason = $10, failure_detail = $11,
       last_error = $12, gateway_reference = $13, requested_at = $14, settled_at = $15,
       refund_status = $16, refund_attempts = $17, refund_requested_at = $18, refunded_at = $19,
       refund_reference = $20, work_operation = $21, work_due_at = $22, work_in_flight = $23,
       work_in_doubt = $24, cause = COALESCE($25, cause), work_doubt_until = $26, updated_at = now()
     WHERE order_id = $1`,
    [
      state.orderId,
      terms?.amount.amountMinor ?? null,
      terms?.amount.currency ?? null,
      terms?.token ?? null,
      state.reserved,
      state.cancelled,
      payment?.paymentId ?? null,
      payment?.status ?? null,
      payment?.attempts ?? 0,
      payment?.failure?.reason ?? null,
      payment?.failure?.detail ?? null,
      payment?.lastError ?? null,
      payment?.reference ?? null,
      time(payment?.requestedAt),
      time(payment?.settledAt),
      refund?.status ?? null,
      refund?.attempts ?? 0,
      time(refund?.requestedAt),
      time(refund?.refundedAt),
      refund?.reference ?? null,
      work?.operation ?? null,
      time(work?.dueAt),
      work?.inFlight ?? false,
      work?.inDoubt ?? false,
      cause ? JSON.stringify(cause) : null,
      time(work?.doubtUntil),
    ],
  );
}

export async function findPaymentsOfOrder(
  db: pg.Pool | pg.ClientBase,
  orderId: string,
): Promise<PaymentView[]> {
  const { rows } = await db.query<Row>(
    "SELECT * FROM order_payments WHERE order_id = $1 AND payment_id IS NOT NULL",
    [orderId],
  );
  return rows.map(toView);
}

export async function findPayment(
  db: pg.Pool | pg.ClientBase,
  paymentId: string,
): Promise<PaymentView | null> {
  const { rows } = await db.query<Row>("SELECT * FROM order_payments WHERE payment_id = $1", [paymentId]);
  return rows[0] ? toView(rows[0]) : null;
}

function toState(row: Row): PaymentState {
  const amount =
    row.amount_minor === null || row.currency === null
      ? null
      : { amountMinor: Number(row.amount_minor), currency: row.currency };
  const terms = amount && row.payment_token !== null ? { amount, token: row.payment_token } : null;
  const refund = refundOf(row, (date) => date.getTime());
  const payment: Payment | null =
    row.payment_id && row.status && terms
      ? {
          paymentId: row.payment_id,
          amount: terms.amount,
          token: terms.token,
          status: row.status,
          attempts: row.attempts,
          failure: row.failure_reason ? { reason: row.failure_reason, detail: row.failure_detail } : null,
          lastError: row.last_error,
          reference: row.gateway_reference,
          requestedAt: row.requested_at!.getTime(),
          settledAt: row.settled_at?.getTime() ?? null,
          refund: refund && { ...refund, reference: row.refund_reference },
        }
      : null;
  const work: GatewayWork | null =
    row.work_operation && row.work_due_at
      ? {
          operation: row.work_operation,
          dueAt: row.work_due_at.getTime(),
          inFlight: row.work_in_flight,
          inDoubt: row.work_in_doubt,
          doubtUntil: row.work_doubt_until?.getTime() ?? null,
        }
      : null;
  return {
    ...initialState(row.order_id),
    terms,
    reserved: row.reserved,
    cancelled: row.cancelled,
    payment,
    work,
  };
}

/** The row's refund, when it has one, its times as `at` writes them. */
function refundOf<T>(row: Row, at: (date: Date) => T) {
  if (!row.refund_status) return null;
  return {
    status: row.refund_status,
    attempts: row.refund_attempts,
    requestedAt: at(row.refund_requested_at!),
    refundedAt: row.refunded_at ? at(row.refunded_at) : null,
  };
}

function toView(row: Row): PaymentView {
  return {
    paymentId: row.payment_id!,
    orderId: row.order_id,
    status: row.status!,
    amount: { amountMinor: Number(row.amount_minor), currency: row.currency! },
    attempts: row.attempts,
    failure: row.failure_reason ? { reason: row.failure_reason, detail: row.failure_detail } : null,
    refund: refundOf(row, (date) => date.toISOString()),
    requestedAt: row.requested_at!.toISOString(),
    settledAt: row.settled_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}

const time = (ms: number | null | undefined): Date | null =>
  ms === null || ms === undefined ? null : new Date(ms);
