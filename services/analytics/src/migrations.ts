import type { Migration } from "@herald/service-kit";

/**
 * The Analytics service's own tables; the outbox's run first. Every read model carries a
 * `generation`: the consumer writes the live one (and the one a rebuild is building), readers read
 * the live one, and a rebuild swaps generations by flipping one row.
 */
export const analyticsMigrations: readonly Migration[] = [
  {
    id: "analytics-001-generations",
    sql: `
      CREATE TABLE analytics_generations (
        generation integer PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('building', 'live', 'retired', 'failed')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        replayed bigint NOT NULL DEFAULT 0,
        error text
      );
      CREATE UNIQUE INDEX analytics_one_live_generation ON analytics_generations ((true)) WHERE state = 'live';
      INSERT INTO analytics_generations (generation, state, finished_at) VALUES (1, 'live', now());`,
  },
  {
    id: "analytics-002-read-models",
    sql: `
      -- One row per fact seen: the primary key makes every projection idempotent per event, and
      -- the rows are the per-order timeline and the source of period summaries.
      CREATE TABLE analytics_facts (
        generation integer NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        order_id text,
        producer text NOT NULL,
        occurred_at timestamptz NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        detail text NOT NULL,
        payload jsonb NOT NULL,
        PRIMARY KEY (generation, event_id)
      );
      CREATE INDEX analytics_facts_by_order ON analytics_facts (generation, order_id, occurred_at)
        WHERE order_id IS NOT NULL;
      CREATE INDEX analytics_facts_by_time ON analytics_facts (generation, occurred_at);

      -- Running totals, changed only by a fact seen for the first time (sums commute, so the
      -- arrival order does not matter).
      CREATE TABLE analytics_figures (
        generation integer NOT NULL,
        name text NOT NULL,
        key text NOT NULL DEFAULT '',
        value bigint NOT NULL,
        PRIMARY KEY (generation, name, key)
      );
      CREATE TABLE analytics_minute_figures (
        generation integer NOT NULL,
        minute timestamptz NOT NULL,
        name text NOT NULL,
        key text NOT NULL DEFAULT '',
        value bigint NOT NULL,
        PRIMARY KEY (generation, minute, name, key)
      );
      CREATE TABLE analytics_sku_figures (
        generation integer NOT NULL,
        sku text NOT NULL,
        currency char(3) NOT NULL,
        units bigint NOT NULL,
        revenue_minor bigint NOT NULL,
        orders bigint NOT NULL,
        PRIMARY KEY (generation, sku, currency)
      );

      -- When each order reached each stage; a stage is set once, whatever order the facts arrive in.
      CREATE TABLE analytics_order_progress (
        generation integer NOT NULL,
        order_id text NOT NULL,
        placed_at timestamptz,
        reserved_at timestamptz,
        paid_at timestamptz,
        confirmed_at timestamptz,
        cancelled_at timestamptz,
        cancel_reason text,
        terminal_at timestamptz GENERATED ALWAYS AS (LEAST(confirmed_at, cancelled_at)) STORED,
        latency_ms bigint GENERATED ALWAYS AS
          (GREATEST(0, round(extract(epoch FROM LEAST(confirmed_at, cancelled_at) - placed_at) * 1000))::bigint) STORED,
        PRIMARY KEY (generation, order_id)
      );
      CREATE INDEX analytics_order_progress_by_end ON analytics_order_progress (generation, terminal_at)
        WHERE latency_ms IS NOT NULL;
      CREATE INDEX analytics_order_progress_in_flight ON analytics_order_progress (generation)
        WHERE placed_at IS NOT NULL AND confirmed_at IS NULL AND cancelled_at IS NULL;
      CREATE INDEX analytics_order_progress_by_placed ON analytics_order_progress (generation, placed_at DESC)
        WHERE placed_at IS NOT NULL;`,
  },
  {
    id: "analytics-003-periods",
    sql: `
      -- One row per published period, inserted in the transaction that enqueues its summary:
      -- the primary key makes the summary exactly-once across instances. Not a read model, so
      -- rebuilds leave it alone.
      CREATE TABLE analytics_periods (
        period_id text PRIMARY KEY,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        event_id uuid NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX analytics_periods_by_end ON analytics_periods (period_end);`,
  },
  {
    id: "analytics-004-order-revenue",
    sql: `
      -- Each order's revenue per currency: booked by its confirmation, and refunded. A refund counts
      -- as refunded revenue only up to what was booked for its order, whatever order the two facts
      -- arrive in. Sums, so arrival order does not matter; one row set per generation.
      CREATE TABLE analytics_order_revenue (
        generation integer NOT NULL,
        order_id text NOT NULL,
        currency char(3) NOT NULL,
        booked_minor bigint NOT NULL DEFAULT 0,
        refunded_minor bigint NOT NULL DEFAULT 0,
        -- When the order was first refunded: the minute its refunded revenue belongs to.
        refunded_at timestamptz,
        PRIMARY KEY (generation, order_id, currency)
      );
      -- The ledger of the facts already recorded, so later facts count against it; the figures
      -- recorded before it keep their old refunded revenue until a rebuild.
      INSERT INTO analytics_order_revenue (generation, order_id, currency, booked_minor, refunded_minor, refunded_at)
      SELECT generation, order_id, currency,
             COALESCE(sum(amount) FILTER (WHERE event_type = 'OrderConfirmed'), 0),
             COALESCE(sum(amount) FILTER (WHERE event_type = 'PaymentRefunded'), 0),
             min(occurred_at) FILTER (WHERE event_type = 'PaymentRefunded')
        FROM (SELECT generation, order_id, event_type, occurred_at,
                     CASE event_type WHEN 'OrderConfirmed' THEN payload->'total' ELSE payload->'amount' END AS money
                FROM analytics_facts
               WHERE event_type IN ('OrderConfirmed', 'PaymentRefunded') AND order_id IS NOT NULL) f,
             LATERAL (SELECT f.money->>'currency' AS currency, (f.money->>'amountMinor')::bigint AS amount) m
       GROUP BY generation, order_id, currency;`,
  },
  {
    id: "analytics-005-fact-payloads",
    sql: `
      -- Facts keep only what the read models and the timeline need: strip the personal fields
      -- (customer id, email, address, payment method token, mail recipients) and the metadata (it
      -- has its own columns) from the facts stored whole before, and the recipient an SMTP error
      -- quoted from a failed mail's detail.
      UPDATE analytics_facts
         SET detail = CASE WHEN event_type = 'EmailFailed' AND coalesce(payload->>'recipient', '') <> ''
                           THEN replace(detail, payload->>'recipient', '<recipient>') ELSE detail END,
             payload = payload - '{metadata,customerId,customerEmail,paymentMethodToken,shippingAddress,recipient,messageId,error}'::text[]
       WHERE payload ?| '{metadata,customerId,customerEmail,paymentMethodToken,shippingAddress,recipient,messageId,error}'::text[];`,
  },
  {
    id: "analytics-006-fact-retention",
    // The retention sweep deletes facts by age, whatever their generation.
    sql: "CREATE INDEX analytics_facts_by_age ON analytics_facts (occurred_at);",
  },
  {
    id: "analytics-007-fact-traces",
    // The trace each fact's event was produced in (its metadata's traceparent), for the timeline's
    // links to the trace UI; null for facts recorded before, or produced with tracing off.
    sql: "ALTER TABLE analytics_facts ADD COLUMN trace_id text;",
  },
];
