import type { Migration } from "@herald/service-kit";

/** The Email service's own tables; the outbox's migrations run before them. */
export const emailMigrations: readonly Migration[] = [
  {
    id: "email-001-order-facts",
    sql: `
      -- What earlier events said about an order, for the mails written about it later. Every column
      -- is set by its own upsert, so facts from different topics merge in whatever order they arrive.
      CREATE TABLE order_facts (
        order_id text PRIMARY KEY,
        customer_name text,
        shipping_address jsonb,
        paid jsonb,
        refunded jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: "email-002-emails",
    sql: `
      -- One row per mail, written in the consumer's transaction before anything is sent. The
      -- Message-ID is derived from the event id and the template, so a redelivered or replayed
      -- event finds its row and adds nothing; the sender retries a row with the same identity.
      CREATE TABLE emails (
        message_id text PRIMARY KEY,
        template text NOT NULL CHECK (template IN ('ORDER_CONFIRMED', 'ORDER_CANCELLED', 'SALES_DIGEST')),
        recipient text NOT NULL,
        order_id text,
        period_id text,
        source_event_id uuid NOT NULL,
        cause jsonb NOT NULL,
        subject text NOT NULL,
        html_body text NOT NULL,
        text_body text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        failed_at timestamptz,
        CHECK ((order_id IS NULL) <> (period_id IS NULL))
      );
      CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'PENDING';
      CREATE INDEX emails_by_order ON emails (order_id, created_at) WHERE order_id IS NOT NULL;`,
  },
  {
    id: "email-003-one-mail-per-event",
    sql: `
      -- The Message-ID's domain comes from configuration; should it change, a replayed event would
      -- compose a different Message-ID. One mail per (event, template) holds regardless.
      CREATE UNIQUE INDEX emails_once_per_event ON emails (source_event_id, template);`,
  },
  {
    id: "email-004-retention",
    sql: `
      -- When a settled mail's personal data (recipient, subject, bodies) was overwritten for the
      -- retention; the row stays, so a replayed event still finds it and sends nothing.
      ALTER TABLE emails ADD COLUMN redacted_at timestamptz;
      CREATE INDEX emails_to_redact ON emails (created_at) WHERE redacted_at IS NULL AND status <> 'PENDING';
      CREATE INDEX order_facts_by_age ON order_facts (updated_at);`,
  },
  {
    id: "email-005-due-notify",
    sql: `
      -- A new mail to send wakes the senders registered as idle (outbox-006's idle_listeners) when
      -- the transaction commits; they claim it at once instead of polling.
      CREATE TRIGGER emails_due AFTER INSERT ON emails
        FOR EACH ROW WHEN (NEW.status = 'PENDING') EXECUTE FUNCTION wake_idle_listeners('herald_email_due');`,
  },
];
