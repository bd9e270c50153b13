import type pg from "pg";
import { InventoryError } from "../errors.js";
import type { StockChange, StockLevel } from "../reservations/domain.js";
import { MAX_ON_HAND } from "./schemas.js";

export interface StockView {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  /** Goes up with every change of the row; the SKU's ETag. */
  readonly version: number;
  readonly updatedAt: string;
}

interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  version: string;
  updated_at: Date;
}

const toView = (row: StockRow): StockView => ({
  sku: row.sku,
  onHand: row.on_hand,
  reserved: row.reserved,
  available: row.on_hand - row.reserved,
  version: Number(row.version),
  updatedAt: row.updated_at.toISOString(),
});

export async function listStock(db: pg.Pool | pg.ClientBase): Promise<StockView[]> {
  const { rows } = await db.query<StockRow>("SELECT * FROM stock ORDER BY sku");
  return rows.map(toView);
}

export async function findStock(db: pg.Pool | pg.ClientBase, sku: string): Promise<StockView | undefined> {
  const { rows } = await db.query<StockRow>("SELECT * FROM stock WHERE sku = $1", [sku]);
  return rows[0] && toView(rows[0]);
}

/**
 * Locks the stock rows of `skus` until the transaction ends, always in SKU order, so transactions
 * locking overlapping sets wait for each other instead of deadlocking. Returns the levels as locked
 * (unknown SKUs are absent).
 */
export async function lockStock(
  tx: pg.ClientBase,
  skus: readonly string[],
): Promise<ReadonlyMap<string, StockLevel>> {
  if (skus.length === 0) return new Map();
  const { rows } = await tx.query<StockRow>(
    "SELECT sku, on_hand, reserved FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE",
    [[...new Set(skus)]],
  );
  return new Map(rows.map((row) => [row.sku, { sku: row.sku, onHand: row.on_hand, reserved: row.reserved }]));
}

/**
 * Applies counter changes to rows this transaction locks first (in SKU order). The table's CHECKs
 * refuse anything that would make stock negative or reserve more than is on hand.
 */
export async function applyStockChanges(tx: pg.ClientBase, changes: readonly StockChange[]): Promise<void> {
  if (changes.length === 0) return;
  await lockStock(
    tx,
    changes.map((change) => change.sku),
  );
  const { rowCount } = await tx.query(
    `UPDATE stock s
        SET on_hand = s.on_hand + c.on_hand, reserved = s.reserved + c.reserved,
            version = s.version + 1, updated_at = now()
       FROM unnest($1::text[], $2::int[], $3::int[]) AS c(sku, on_hand, reserved)
      WHERE s.sku = c.sku`,
    [changes.map((c) => c.sku), changes.map((c) => c.onHand), changes.map((c) => c.reserved)],
  );
  if (rowCount !== changes.length)
    throw new Error(`stock changes for ${changes.length} SKUs updated ${rowCount} rows`);
}

/**
 * Sets a SKU's units on hand (a count correction), in one conditional statement, only while the
 * row is still at `expectedVersion` (412 otherwise: it changed since the caller read it), never
 * below what is reserved (409), never for an unknown SKU (404).
 */
export async function setOnHand(
  db: pg.Pool,
  sku: string,
  onHand: number,
  expectedVersion: number,
): Promise<StockView> {
  const { rows } = await db.query<StockRow>(
    `UPDATE stock SET on_hand = $2, version = version + 1, updated_at = now()
      WHERE sku = $1 AND reserved <= $2 AND version = $3 RETURNING *`,
    [sku, onHand, expectedVersion],
  );
  if (rows[0]) return toView(rows[0]);
  const current = await findStock(db, sku);
  if (!current) throw unknownSku(sku);
  if (current.version !== expectedVersion)
    throw new InventoryError(
      "INVENTORY_STALE_STOCK",
      `${sku} changed since version ${expectedVersion} (now ${current.version}); read it again, or adjust by a delta`,
    );
  throw belowReserved(current, "body/onHand", onHand);
}

/**
 * Adds `delta` units on hand (a delivery, or a write-off when negative) whatever happened since the
 * caller last looked: the change commutes with the saga's, so it needs no version. Never below what
 * is reserved (409), never for an unknown SKU (404).
 */
export async function adjustOnHand(db: pg.Pool, sku: string, delta: number): Promise<StockView> {
  const { rows } = await db.query<StockRow>(
    `UPDATE stock SET on_hand = on_hand + $2, version = version + 1, updated_at = now()
      WHERE sku = $1 AND reserved <= on_hand + $2 AND on_hand + $2 <= $3 RETURNING *`,
    [sku, delta, MAX_ON_HAND],
  );
  if (rows[0]) return toView(rows[0]);
  const current = await findStock(db, sku);
  if (!current) throw unknownSku(sku);
  if (current.onHand + delta > MAX_ON_HAND)
    throw new InventoryError(
      "INVENTORY_TOO_MUCH_STOCK",
      `${sku} would have ${current.onHand + delta} units on hand, more than ${MAX_ON_HAND}`,
    );
  throw belowReserved(current, "body/delta", current.onHand + delta);
}

const unknownSku = (sku: string) =>
  new InventoryError("INVENTORY_UNKNOWN_SKU", `no stock is kept for SKU ${sku}`);

function belowReserved(current: StockView, path: string, onHand: number): InventoryError {
  return new InventoryError(
    "INVENTORY_BELOW_RESERVED",
    `${current.sku} has ${current.reserved} units reserved; on hand cannot go below that (asked for ${onHand})`,
    {
      details: [
        { path, message: `would leave ${onHand} on hand, below the ${current.reserved} units reserved` },
      ],
    },
  );
}
