import type { Money } from "@herald/events";
import type pg from "pg";
import type { CancellationReason, Order, OrderStatus, ShippingAddress } from "./domain.js";

/** An order as the API shows it: derived from its events only, so `asOf` views come from the same code. */
export interface OrderView {
  orderId: string;
  status: OrderStatus;
  version: number;
  customerId: string;
  customerEmail: string;
  lines: { sku: string; quantity: number; unitPrice: Money; lineTotal: Money }[];
  total: Money;
  shippingAddress: ShippingAddress;
  placedAt: string;
  updatedAt: string;
  confirmedAt?: string;
  cancellation?: { reason: CancellationReason; detail: string | null; cancelledAt: string };
}

export function toView(order: Order): OrderView {
  const iso = (ms: number) => new Date(ms).toISOString();
  const view: OrderView = {
    orderId: order.orderId,
    status: order.status,
    version: order.version,
    customerId: order.customerId,
    customerEmail: order.customerEmail,
    lines: order.lines.map((line) => ({
      ...line,
      lineTotal: {
        amountMinor: line.unitPrice.amountMinor * line.quantity,
        currency: line.unitPrice.currency,
      },
    })),
    total: order.total,
    shippingAddress: order.shippingAddress,
    placedAt: iso(order.placedAt),
    updatedAt: iso(order.updatedAt),
  };
  if (order.confirmedAt !== undefined) view.confirmedAt = iso(order.confirmedAt);
  if (order.cancellation)
    view.cancellation = {
      reason: order.cancellation.reason,
      detail: order.cancellation.detail,
      cancelledAt: iso(order.cancellation.at),
    };
  return view;
}

/** Writes the order's current view, in the transaction that appended its events. */
export async function saveView(tx: pg.ClientBase, order: Order): Promise<void> {
  await tx.query(
    `INSERT INTO orders (order_id, customer_id, status, version, placed_at, updated_at, view)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (order_id) DO UPDATE
       SET status = excluded.status, version = excluded.version, updated_at = excluded.updated_at, view = excluded.view
       WHERE orders.version < excluded.version`,
    [
      order.orderId,
      order.customerId,
      order.status,
      order.version,
      new Date(order.placedAt),
      new Date(order.updatedAt),
      JSON.stringify(toView(order)),
    ],
  );
}

export async function findView(db: pg.Pool | pg.ClientBase, orderId: string): Promise<OrderView | undefined> {
  const { rows } = await db.query<{ view: OrderView }>("SELECT view FROM orders WHERE order_id = $1", [
    orderId,
  ]);
  return rows[0]?.view;
}
