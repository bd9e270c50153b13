import type pg from "pg";
import { noReservation, type Reservation, type Shortage, type StockLine } from "./domain.js";

interface ReservationRow {
  order_id: string;
  status: Reservation["status"];
  lines: StockLine[];
  shortages: Shortage[];
  created_at: Date;
  updated_at: Date;
}

export interface ReservationView extends Reservation {
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Reads an order's reservation and locks it until the transaction ends, so two events about one
 * order are decided one after the other. With `create`, an order not seen before gets a row first
 * (status NONE, which the same transaction moves on): a concurrent first event for the same order
 * waits on that row instead of deciding from NONE too.
 */
export async function lockReservation(
  tx: pg.ClientBase,
  orderId: string,
  options: { create: boolean },
): Promise<Reservation> {
  if (options.create)
    await tx.query("INSERT INTO reservations (order_id, status) VALUES ($1, 'NONE') ON CONFLICT DO NOTHING", [
      orderId,
    ]);
  const { rows } = await tx.query<ReservationRow>(
    "SELECT * FROM reservations WHERE order_id = $1 FOR UPDATE",
    [orderId],
  );
  return rows[0] ? toReservation(rows[0]) : noReservation(orderId);
}

export async function saveReservation(tx: pg.ClientBase, reservation: Reservation): Promise<void> {
  await tx.query(
    `INSERT INTO reservations (order_id, status, lines, shortages) VALUES ($1, $2, $3, $4)
     ON CONFLICT (order_id) DO UPDATE
       SET status = excluded.status, lines = excluded.lines, shortages = excluded.shortages, updated_at = now()`,
    [
      reservation.orderId,
      reservation.status,
      JSON.stringify(reservation.lines),
      JSON.stringify(reservation.shortages),
    ],
  );
}

export async function findReservations(
  db: pg.Pool | pg.ClientBase,
  orderId: string,
): Promise<ReservationView[]> {
  const { rows } = await db.query<ReservationRow>(
    "SELECT * FROM reservations WHERE order_id = $1 AND status <> 'NONE'",
    [orderId],
  );
  return rows.map((row) => ({
    ...toReservation(row),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }));
}

const toReservation = (row: ReservationRow): Reservation => ({
  orderId: row.order_id,
  status: row.status,
  lines: row.lines,
  shortages: row.shortages,
});
