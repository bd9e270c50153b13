import type { EmailTemplate, Metadata, Money, ShippingAddress } from "@herald/events";
import { tracedCause } from "@herald/outbox";
import type pg from "pg";
import type { FactUpdate, MailDraft, MailHeader, OrderFacts } from "./compose.js";

type Db = pg.Pool | pg.ClientBase;

/** Adds one fact to what is known about an order; each kind sets only its own columns. */
export async function recordFact(tx: pg.ClientBase, fact: FactUpdate): Promise<void> {
  switch (fact.kind) {
    case "PLACED":
      await tx.query(
        `INSERT INTO order_facts (order_id, customer_name, shipping_address) VALUES ($1, $2, $3)
         ON CONFLICT (order_id) DO UPDATE
           SET customer_name = excluded.customer_name, shipping_address = excluded.shipping_address, updated_at = now()`,
        [fact.orderId, fact.customerName, JSON.stringify(fact.shippingAddress)],
      );
      return;
    case "PAID":
      // The payment's own amount wins over the confirmed total; whichever came first is kept.
      await tx.query(
        `INSERT INTO order_facts (order_id, paid) VALUES ($1, $2)
         ON CONFLICT (order_id) DO UPDATE
           SET paid = coalesce(order_facts.paid, excluded.paid), updated_at = now()`,
        [fact.orderId, JSON.stringify(fact.amount)],
      );
      return;
    case "REFUNDED":
      await tx.query(
        `INSERT INTO order_facts (order_id, refunded) VALUES ($1, $2)
         ON CONFLICT (order_id) DO UPDATE SET refunded = excluded.refunded, updated_at = now()`,
        [fact.orderId, JSON.stringify(fact.amount)],
      );
      return;
  }
}

export async function findFacts(db: Db, orderId: string): Promise<OrderFacts | undefined> {
  const { rows } = await db.query<{
    customer_name: string | null;
    shipping_address: ShippingAddress | null;
    paid: Money | null;
    refunded: Money | null;
  }>("SELECT customer_name, shipping_address, paid, refunded FROM order_facts WHERE order_id = $1", [
    orderId,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    orderId,
    customerName: row.customer_name,
    shippingAddress: row.shipping_address,
    paid: row.paid,
    refunded: row.refunded,
  };
}

/**
 * Records a mail as PENDING, before anything is sent. Returns false when the event's mail of that
 * template (or its Message-ID) exists already: a replay past the inbox adds nothing.
 */
export async function recordMail(tx: pg.ClientBase, draft: MailDraft): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO emails (message_id, template, recipient, order_id, period_id, source_event_id, cause,
                         subject, html_body, text_body)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT DO NOTHING`,
    [
      draft.messageId,
      draft.template,
      draft.recipient,
      draft.orderId,
      draft.periodId,
      draft.cause.eventId,
      JSON.stringify(tracedCause(draft.cause)), // the sender's span continues the trace from here
      draft.content.subject,
      draft.content.html,
      draft.content.text,
    ],
  );
  return rowCount === 1;
}

/** A PENDING mail the sender holds for one attempt. */
export interface ClaimedMail extends MailHeader {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Including the attempt now being made. */
  readonly attempts: number;
}

interface MailRow {
  message_id: string;
  template: EmailTemplate;
  recipient: string;
  order_id: string | null;
  period_id: string | null;
  cause: Metadata;
  subject: string;
  html_body: string;
  text_body: string;
  attempts: number;
}

/**
 * Claims up to `limit` due PENDING mails for one attempt each, in one short statement: counts the
 * attempt and leases the row for `leaseMs` (no transaction stays open during SMTP). A sender that
 * dies mid-conversation leaves the row PENDING; it is due again when the lease ends.
 */
export async function claimDueMails(
  pool: pg.Pool,
  options: { limit: number; leaseMs: number },
): Promise<ClaimedMail[]> {
  const { rows } = await pool.query<MailRow>(
    `UPDATE emails e
        SET attempts = e.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
       FROM (SELECT message_id FROM emails
              WHERE status = 'PENDING' AND next_attempt_at <= now()
              ORDER BY next_attempt_at
              LIMIT $1
              FOR UPDATE SKIP LOCKED) due
      WHERE e.message_id = due.message_id
      RETURNING e.message_id, e.template, e.recipient, e.order_id, e.period_id, e.cause, e.subject,
                e.html_body, e.text_body, e.attempts`,
    [options.limit, options.leaseMs],
  );
  return rows.map((row) => ({
    messageId: row.message_id,
    template: row.template,
    recipient: row.recipient,
    orderId: row.order_id,
    periodId: row.period_id,
    cause: row.cause,
    subject: row.subject,
    html: row.html_body,
    text: row.text_body,
    attempts: row.attempts,
  }));
}

/** Marks a mail SENT; false if it no longer was PENDING (another sender finished it first). */
export async function markSent(tx: pg.ClientBase, messageId: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE emails SET status = 'SENT', sent_at = now(), last_error = NULL
      WHERE message_id = $1 AND status = 'PENDING'`,
    [messageId],
  );
  return rowCount === 1;
}

/** Marks a mail FAILED for good; false if it no longer was PENDING. */
export async function markFailed(tx: pg.ClientBase, messageId: string, error: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE emails SET status = 'FAILED', failed_at = now(), last_error = $2
      WHERE message_id = $1 AND status = 'PENDING'`,
    [messageId, error],
  );
  return rowCount === 1;
}

/** Puts a mail back as due after `delayMs`, remembering why the attempt failed. */
export async function scheduleRetry(
  pool: pg.Pool,
  messageId: string,
  delayMs: number,
  error: string,
): Promise<void> {
  await pool.query(
    `UPDATE emails SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), last_error = $3
      WHERE message_id = $1 AND status = 'PENDING'`,
    [messageId, delayMs, error],
  );
}

/** A mail as `GET /emails` shows it. */
export interface MailStatus {
  template: EmailTemplate;
  recipient: string;
  messageId: string;
  status: "PENDING" | "SENT" | "FAILED";
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  failedAt: string | null;
  lastError: string | null;
}

export async function listMailsOfOrder(db: Db, orderId: string): Promise<MailStatus[]> {
  const { rows } = await db.query<{
    template: EmailTemplate;
    recipient: string;
    message_id: string;
    status: MailStatus["status"];
    attempts: number;
    created_at: Date;
    sent_at: Date | null;
    failed_at: Date | null;
    last_error: string | null;
  }>(
    `SELECT template, recipient, message_id, status, attempts, created_at, sent_at, failed_at, last_error
       FROM emails WHERE order_id = $1 ORDER BY created_at, message_id`,
    [orderId],
  );
  return rows.map((row) => ({
    template: row.template,
    recipient: row.recipient,
    messageId: row.message_id,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
    failedAt: row.failed_at?.toISOString() ?? null,
    lastError: row.last_error,
  }));
}
