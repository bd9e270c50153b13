import { sleep } from "@herald/events";
import type { Clock } from "@herald/service-kit";
import { type BackgroundLoop, backgroundLoop } from "@herald/service-kit";
import type pg from "pg";
import type { Logger } from "pino";

/** What a redacted mail shows where its recipient, subject and bodies were. */
export const REDACTED = "[redacted]";

/** Rows changed per statement, so a large first sweep never holds many row locks at once. */
const BATCH = 500;

export interface RetentionSweeperOptions {
  readonly pool: pg.Pool;
  /** Personal data older than this many days is removed. */
  readonly retentionDays: number;
  /** Pause between sweeps. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly now?: Clock;
}

/** Sweeps every interval once started (see {@link BackgroundLoop}). */
export interface RetentionSweeper extends BackgroundLoop {
  /** One sweep; how many mails were redacted and how many orders' facts were forgotten. */
  sweepOnce(): Promise<{ mails: number; orders: number }>;
}

/**
 * Removes the personal data the service keeps once it is older than the retention: a settled mail
 * (SENT or FAILED) keeps its row, Message-ID, template, order, status and times — the row is what
 * makes a replayed event send nothing — but its recipient, subject, bodies and last SMTP error
 * (which may quote the address) are overwritten; an order's facts lose the customer's name and
 * shipping address. A mail still PENDING keeps what it needs to be sent.
 */
export function createRetentionSweeper(options: RetentionSweeperOptions): RetentionSweeper {
  const { pool, logger } = options;
  const now = options.now ?? (() => new Date());

  async function sweepOnce() {
    const before = new Date(now().getTime() - options.retentionDays * 24 * 60 * 60 * 1000);
    let mails = 0;
    for (;;) {
      const { rowCount } = await pool.query(
        `UPDATE emails SET recipient = $2, subject = $2, html_body = $2, text_body = $2,
                last_error = NULL, redacted_at = now()
          WHERE message_id IN (
            SELECT message_id FROM emails
             WHERE redacted_at IS NULL AND status <> 'PENDING' AND created_at < $1
             LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [before, REDACTED, BATCH],
      );
      mails += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
    }
    let orders = 0;
    for (;;) {
      const { rowCount } = await pool.query(
        `UPDATE order_facts SET customer_name = NULL, shipping_address = NULL
          WHERE order_id IN (
            SELECT order_id FROM order_facts
             WHERE updated_at < $1 AND (customer_name IS NOT NULL OR shipping_address IS NOT NULL)
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, BATCH],
      );
      orders += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
    }
    return { mails, orders };
  }

  async function loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const swept = await sweepOnce();
        if (swept.mails > 0 || swept.orders > 0)
          logger.info(
            { ...swept, retentionDays: options.retentionDays },
            "personal data past its retention removed",
          );
      } catch (error) {
        logger.warn({ err: error }, "the retention sweep failed; it runs again later");
      }
      await sleep(options.intervalMs, signal);
    }
  }

  return { sweepOnce, ...backgroundLoop(loop) };
}
