import type { Migration } from "@herald/service-kit";

/**
 * The Inventory service's own tables; the outbox's run before them. The CHECKs are the last line of
 * defence against overselling: whatever the code does, a committed row never has negative stock
 * or more reserved than on hand.
 */
export const inventoryMigrations: readonly Migration[] = [
  {
    id: "inventory-001-stock",
    sql: `
      CREATE TABLE stock (
        sku text PRIMARY KEY,
        on_hand integer NOT NULL CHECK (on_hand >= 0),
        reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand)
      );`,
  },
  {
    id: "inventory-002-reservations",
    sql: `
      -- One row per order: the state of its reservation (see src/reservations/domain.ts). The key
      -- makes every reaction idempotent by order id, whatever event ids the messages carry.
      CREATE TABLE reservations (
        order_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN (
          'NONE', 'RESERVED', 'FAILED', 'RELEASED', 'SOLD', 'RESTOCKED', 'CANCELLED_BEFORE_PLACED')),
        lines jsonb NOT NULL DEFAULT '[]',
        shortages jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: "inventory-003-seed-catalog-stock",
    sql: `
      -- Starting stock for every SKU the order catalog sells (services/order migration
      -- order-004-catalog). Existing rows are left alone, so stock set since is never overwritten.
      INSERT INTO stock (sku, on_hand) VALUES
        ('HRL-MUG-BLUE', 100),
        ('HRL-TEE-BLACK-M', 50),
        ('HRL-HOODIE-GREY-L', 25),
        ('HRL-POSTER-A2', 40),
        ('HRL-NOTEBOOK-A5', 200),
        ('HRL-STICKER-PACK', 500)
      ON CONFLICT (sku) DO NOTHING;`,
  },
  {
    id: "inventory-004-stock-version",
    sql: `
      -- Counts every change of a SKU's row: its ETag, so an absolute write based on a stale read
      -- (PUT with If-Match) is refused instead of overwriting what changed since.
      ALTER TABLE stock ADD COLUMN version bigint NOT NULL DEFAULT 1;`,
  },
];
