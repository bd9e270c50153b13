import type { Migration } from "@herald/service-kit";

/** The Order service's own tables; `main.ts` runs them after the outbox's. */
export const orderMigrations: readonly Migration[] = [
  {
    id: "order-001-event-store",
    sql: `
      -- The source of truth: one row per event, versions 1..n per order; the primary key is the
      -- optimistic-concurrency check (two writers deciding from the same version cannot both append).
      CREATE TABLE order_events (
        order_id uuid NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        event_id uuid NOT NULL UNIQUE,
        event_type text NOT NULL,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, version)
      );
      CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'order_events is append-only: % refused', TG_OP;
      END $$;
      CREATE TRIGGER order_events_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON order_events
        FOR EACH STATEMENT EXECUTE FUNCTION order_events_append_only();`,
  },
  {
    id: "order-002-orders-projection",
    sql: `
      -- The query side, updated in the same transaction as the events it folds.
      CREATE TABLE orders (
        order_id uuid PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL,
        version integer NOT NULL,
        placed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        view jsonb NOT NULL
      );
      CREATE INDEX orders_by_customer ON orders (customer_id, placed_at DESC);`,
  },
  {
    id: "order-003-idempotency-keys",
    sql: `
      -- The first request with a key inserts its row and holds it until commit; a concurrent
      -- replay blocks on the key, then reads the stored response.
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);`,
  },
  {
    id: "order-004-catalog",
    sql: `
      CREATE TABLE catalog_items (
        sku text PRIMARY KEY,
        name text NOT NULL,
        unit_price_minor bigint NOT NULL CHECK (unit_price_minor > 0),
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        active boolean NOT NULL DEFAULT true
      );
      INSERT INTO catalog_items (sku, name, unit_price_minor, currency) VALUES
        ('HRL-MUG-BLUE', 'Herald mug, blue', 1290, 'EUR'),
        ('HRL-TEE-BLACK-M', 'Herald T-shirt, black, M', 2490, 'EUR'),
        ('HRL-HOODIE-GREY-L', 'Herald hoodie, grey, L', 5490, 'EUR'),
        ('HRL-POSTER-A2', 'Event-flow poster, A2', 1900, 'EUR'),
        ('HRL-NOTEBOOK-A5', 'Dot-grid notebook, A5', 990, 'EUR'),
        ('HRL-STICKER-PACK', 'Sticker pack', 450, 'EUR');`,
  },
  {
    id: "order-005-event-schemas",
    sql: `
      -- Each event's writer schema (its fingerprint), so a later build reads it through the right
      -- upcasters; rows stored before this column have none and are read by resolution alone.
      ALTER TABLE order_events ADD COLUMN schema_fingerprint text;`,
  },
  {
    id: "order-006-snapshots",
    sql: `
      -- The order's state after its first "version" events, so a read folds only the events after
      -- it. A cache: any row may be deleted. fold_version names the code that folded the state
      -- (ORDER_FOLD_VERSION); a row of another is never read. last_recorded_at is the latest
      -- recorded_at of versions 1..version at millisecond resolution: the earliest asOf it answers.
      CREATE TABLE order_snapshots (
        order_id uuid NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        fold_version text NOT NULL,
        state jsonb NOT NULL,
        last_recorded_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, version)
      );`,
  },
  {
    id: "order-007-snapshots-latest",
    sql: `
      -- last_recorded_at never decreases along a stream, so the latest snapshot of a fold recorded
      -- by an instant is the first row of this index from there: one row read, not every snapshot.
      CREATE INDEX order_snapshots_latest
        ON order_snapshots (order_id, fold_version, last_recorded_at DESC, version DESC);`,
  },
];
