import type pg from "pg";
import { InventoryError } from "../errors.js";
import type { StockChange, StockLevel } from "../reservations/domain.js";

export interface StockView {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly updatedAt: string;
}

interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  updated_at: Date;
}

const toView = (row: StockRow): StockView => ({
  sku: row.sku,
  onHand: row.on_hand,
  reserved: row.reserved,
  available: row.on_hand - row.reserved,
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
        SET on_hand = s.on_hand + c.on_hand, reserved = s.reserved + c.reserved, updated_at = now()
       FROM unnest($1::text[], $2::int[], $3::int[]) AS c(sku, on_hand, reserved)
      WHERE s.sku = c.sku`,
    [changes.map((c) => c.sku), changes.map((c) => c.onHand), changes.map((c) => c.reserved)],
  );
  if (rowCount !== changes.length)
    throw new Error(`stock changes for ${changes.length} SKUs updated ${rowCount} rows`);
}

/**
 * Sets a SKU's units on hand, in one conditional statement: never below what is reserved (409),
 * never for an unknown SKU (404).
 */
export async function setOnHand(db: pg.Pool, sku: string, onHand: number): Promise<StockView> {
  const { rows } = await db.query<StockRow>(
    `UPDATE stock SET on_hand = $2, updated_at = now() WHERE sku = $1 AND reserved <= $2 RETURNING *`,
    [sku, onHand],
  );
  if (rows[0]) return toView(rows[0]);
  const current = await findStock(db, sku);
  if (!current) throw new InventoryError("INVENTORY_UNKNOWN_SKU", `no stock is kept for SKU ${sku}`);
  throw new InventoryError(
    "INVENTORY_BELOW_RESERVED",
    `${sku} has ${current.reserved} units reserved; on hand cannot go below that (asked for ${onHand})`,
    false,
    [{ path: "body/onHand", message: `must be at least ${current.reserved}, the units reserved` }],
  );
}
