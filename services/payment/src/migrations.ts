import type { Migration } from "@herald/service-kit";
import { simulatorMigrations } from "./gateway/simulator.js";

/** The Payment service's own tables; outbox migrations run before them. */
export const paymentMigrations: readonly Migration[] = [
  {
    id: "payment-001-order-payments",
    sql: `
      -- One row per order payment has heard of, created by whichever event arrives first; the row
      -- lock serialises every reaction and gateway result for the order.
      CREATE TABLE order_payments (
        order_id uuid PRIMARY KEY,
        -- What to charge, from OrderPlaced (null until it arrives).
        amount_minor bigint CHECK (amount_minor >= 0),
        currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
        payment_token text,
        reserved boolean NOT NULL DEFAULT false,
        cancelled boolean NOT NULL DEFAULT false,
        -- The payment, once requested: at most one per order.
        payment_id uuid UNIQUE,
        status text CHECK (status IN ('PENDING', 'PROCESSED', 'FAILED', 'VOIDED', 'REFUNDED')),
        attempts integer NOT NULL DEFAULT 0,
        failure_reason text,
        failure_detail text,
        last_error text,
        gateway_reference text,
        requested_at timestamptz,
        settled_at timestamptz,
        refund_status text CHECK (refund_status IN ('PENDING', 'REFUNDED')),
        refund_attempts integer NOT NULL DEFAULT 0,
        refund_requested_at timestamptz,
        refunded_at timestamptz,
        refund_reference text,
        -- The gateway work due: the worker claims rows whose due time has come.
        work_operation text CHECK (work_operation IN ('charge', 'refund')),
        work_due_at timestamptz,
        work_in_flight boolean NOT NULL DEFAULT false,
        work_in_doubt boolean NOT NULL DEFAULT false,
        -- Metadata of the event that asked for the gateway work: the cause of what it announces.
        cause jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((payment_id IS NULL) = (status IS NULL)),
        CHECK ((work_operation IS NULL) = (work_due_at IS NULL))
      );
      CREATE INDEX order_payments_due ON order_payments (work_due_at) WHERE work_due_at IS NOT NULL;`,
  },
  ...simulatorMigrations,
  {
    id: "payment-002-charge-window",
    sql: `
      -- Until when the last charge call sent may still land at the processor: a lookup that finds
      -- nothing under its key before then looks again instead of voiding the payment.
      ALTER TABLE order_payments ADD COLUMN work_doubt_until timestamptz;`,
  },
  {
    id: "payment-003-work-notify",
    sql: `
      -- Gateway work asked for or rescheduled (not yet in flight) wakes the workers registered as
      -- idle (outbox-006's idle_listeners) when the transaction commits; they claim it at once
      -- instead of polling. A busy worker is not registered: nothing is notified under load.
      CREATE TRIGGER order_payments_work_due AFTER INSERT OR UPDATE ON order_payments
        FOR EACH ROW WHEN (NEW.work_due_at IS NOT NULL AND NOT NEW.work_in_flight)
        EXECUTE FUNCTION wake_idle_listeners('herald_payment_work');`,
  },
];
