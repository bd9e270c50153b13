import { backoffCeiling, backoffDelay, createMetadata, type EventOf, sleep } from "@herald/events";
import { enqueue, listenForWork, traceWork, type WorkListener } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import { withTransaction } from "@herald/service-kit";
import type pg from "pg";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { type ClaimedMail, claimDueMails, markFailed, markSent, scheduleRetry } from "./store.js";

/** Sends one mail over SMTP; an aborted `signal` ends the conversation (the connection is closed). */
export interface MailTransport {
  sendMail(
    message: {
      from: string;
      to: { name: string; address: string };
      subject: string;
      text: string;
      html: string;
      messageId: string;
      headers: Record<string, string>;
    },
    call: { readonly signal: AbortSignal },
  ): Promise<unknown>;
  close?(): void;
}

export interface MailSenderOptions {
  readonly pool: pg.Pool;
  readonly transport: MailTransport;
  readonly from: string;
  readonly logger: Logger;
  /** SMTP attempts per mail, the first included, before it is given up with EmailFailed. */
  readonly maxAttempts: number;
  /** Wait before attempt n+1: initialMs × 2^(n-1), at most maxMs, jittered in its upper half. */
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  /**
   * How long a claimed mail is held for one attempt; longer than any SMTP conversation can last.
   * A sender that dies mid-attempt leaves the mail to be retried, same Message-ID, after it.
   */
  readonly leaseMs: number;
  /**
   * How long one SMTP conversation may take in all; shorter than the lease, so a conversation is over
   * before another sender may claim its mail. At the deadline the connection is closed and the
   * attempt counts as a transient failure.
   */
  readonly sendDeadlineMs: number;
  /** Mails sent at once. */
  readonly concurrency: number;
  /** Pause when nothing is due and no wake-up can come (the listening connection is down, or wake-ups are off). */
  readonly pollIntervalMs: number;
  /**
   * A new PENDING mail notifies the idle senders through Postgres (channel `herald_email_due`,
   * migration email-005; see `listenForWork`): after a quarter of a second with nothing due a sender
   * waits for that, or until the next retry is due, and looks anyway after this long. Default 5 s;
   * 0 turns wake-ups off (it then polls every `pollIntervalMs`).
   */
  readonly fallbackPollMs?: number;
  readonly metrics?: Registry;
  readonly now?: Clock;
  readonly random?: () => number;
}

export interface MailSender {
  /** Sends due mails in the background until {@link MailSender.stop}. */
  start(): void;
  /** Finishes the attempts in flight and stops. */
  stop(): Promise<void>;
  /** One round: claims what is due and attempts it; returns how many mails it attempted. */
  sendDue(): Promise<number>;
}

const MAX_ERROR_LENGTH = 1_000;
const MAX_IDLE_BACKOFF_MS = 10_000;

/**
 * An SMTP reply 5yz is permanent (RFC 5321 §4.2.1): the same mail would be refused again, and so
 * is an envelope nodemailer refuses before talking to the server (no usable recipient). Replies
 * 4yz, timeouts and broken connections are transient.
 */
export function isPermanentSmtpFailure(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as { responseCode?: unknown; code?: unknown };
  if (typeof responseCode === "number") return responseCode >= 500 && responseCode < 600;
  return code === "EENVELOPE";
}

/**
 * Sends the PENDING mails the consumer recorded, each with its recorded Message-ID. Success marks
 * the mail SENT and enqueues EmailSent in one transaction; a transient failure schedules the next
 * attempt; a permanent one or the last attempt marks it FAILED and enqueues EmailFailed.
 */
export function createMailSender(options: MailSenderOptions): MailSender {
  const { pool, transport, logger } = options;
  if (options.sendDeadlineMs >= options.leaseMs)
    throw new RangeError(
      `the send deadline (${options.sendDeadlineMs} ms) must be shorter than the lease (${options.leaseMs} ms)`,
    );
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const counters = options.metrics && {
    sent: counter(options.metrics, "emails_sent_total", "Mails the SMTP server accepted"),
    failed: counter(
      options.metrics,
      "emails_failed_total",
      "Mails given up after their last attempt or a permanent refusal",
    ),
    retried: counter(
      options.metrics,
      "email_attempts_failed_total",
      "SMTP attempts that failed and will be retried",
    ),
  };
  let stopping: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function attempt(mail: ClaimedMail): Promise<void> {
    const log = logger.child({
      messageId: mail.messageId,
      template: mail.template,
      orderId: mail.orderId ?? undefined,
      periodId: mail.periodId ?? undefined,
      correlationId: mail.cause.correlationId,
      attempt: mail.attempts,
    });
    // The claim holds the mail until then; after it another sender may take the mail over.
    const claimEndsAt = Date.now() + options.leaseMs;
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new Error(`the SMTP conversation passed its ${options.sendDeadlineMs} ms deadline and was cut off`),
        ),
      options.sendDeadlineMs,
    );
    try {
      await Promise.race([
        transport.sendMail(
          {
            from: options.from,
            // An address object is taken as one address: a recipient such as "a@x.test, b@y.test"
            // can never become two.
            to: { name: "", address: mail.recipient },
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            messageId: mail.messageId,
            headers: { "X-Herald-Template": mail.template, "X-Herald-Event-Id": mail.cause.eventId },
          },
          { signal: deadline.signal },
        ),
        aborted(deadline.signal),
      ]);
    } catch (error) {
      await failed(mail, error, log);
      return;
    } finally {
      clearTimeout(timer);
    }
    // The server has the mail now: recording that is retried while the claim lasts (a database
    // restart takes seconds), so a live sender never sends it twice. Only if this process dies, or
    // the database stays away past the claim, is the mail sent again, with the same Message-ID: at
    // least once, never under a second identity.
    const marked = await retryUntil(
      claimEndsAt,
      () =>
        withTransaction(pool, async (tx) => {
          if (!(await markSent(tx, mail.messageId))) return false;
          await enqueue(tx, sentEvent(mail));
          return true;
        }),
      (error, retryInMs) => log.warn({ err: error, retryInMs }, "recording a sent mail failed; retrying"),
    );
    if (marked) {
      counters?.sent.inc({ template: mail.template });
      log.info("mail sent");
    }
  }

  async function failed(mail: ClaimedMail, error: unknown, log: Logger): Promise<void> {
    const reason = describe(error);
    const permanent = isPermanentSmtpFailure(error);
    if (!permanent && mail.attempts < options.maxAttempts) {
      const delayMs = backoffDelay(mail.attempts, options.retry, random);
      await scheduleRetry(pool, mail.messageId, delayMs, reason);
      counters?.retried.inc({ template: mail.template });
      log.warn({ err: error, retryInMs: delayMs }, "sending failed; will retry");
      return;
    }
    const marked = await withTransaction(pool, async (tx) => {
      if (!(await markFailed(tx, mail.messageId, reason))) return false;
      await enqueue(tx, failedEvent(mail, reason));
      return true;
    });
    if (marked) {
      counters?.failed.inc({ template: mail.template });
      log.error({ err: error, permanent }, "mail given up");
    }
  }

  function outcome(mail: ClaimedMail) {
    return {
      metadata: createMetadata({ producer: "email", cause: mail.cause, now: now() }),
      orderId: mail.orderId,
      periodId: mail.periodId,
      template: mail.template,
      recipient: mail.recipient,
    };
  }

  function sentEvent(mail: ClaimedMail): EventOf<"EmailSent"> {
    return { type: "EmailSent", data: { ...outcome(mail), messageId: mail.messageId } };
  }

  function failedEvent(mail: ClaimedMail, error: string): EventOf<"EmailFailed"> {
    return { type: "EmailFailed", data: { ...outcome(mail), error } };
  }

  async function sendDue(): Promise<number> {
    const claimed = await claimDueMails(pool, { limit: options.concurrency, leaseMs: options.leaseMs });
    // Each attempt joins the trace of the event that asked for the mail.
    const outcomes = await Promise.allSettled(
      claimed.map((mail) =>
        traceWork("email send", mail.cause.traceparent, { "herald.email.template": mail.template }, () =>
          attempt(mail),
        ),
      ),
    );
    for (const outcome of outcomes)
      if (outcome.status === "rejected")
        // Recording the outcome failed (database unreachable): the lease brings the mail back.
        logger.warn(
          { err: outcome.reason },
          "recording a mail's outcome failed; it is retried after its lease",
        );
    return claimed.length;
  }

  /**
   * How long an idle sender may wait for a notification: until the next mail is due (a retry's
   * backoff, a lease running out), at least the poll interval, at most the fallback.
   */
  async function untilDue(fallbackMs: number): Promise<number> {
    try {
      const { rows } = await pool.query<{ ms: number | null }>(
        `SELECT extract(epoch FROM min(next_attempt_at) - now()) * 1000 AS ms
           FROM emails WHERE status = 'PENDING'`,
      );
      const ms = rows[0]?.ms;
      if (ms === null || ms === undefined) return fallbackMs;
      return Math.min(fallbackMs, Math.max(options.pollIntervalMs, Number(ms)));
    } catch {
      return options.pollIntervalMs;
    }
  }

  async function run(
    signal: AbortSignal,
    listener: WorkListener | undefined,
    fallbackMs: number,
  ): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let attempted = 0;
      // A mail notified from here on may have been missed by this look: the next wait ends at once.
      listener?.clear();
      try {
        attempted = await sendDue();
        failures = 0;
      } catch (error) {
        failures++;
        logger.warn({ err: error }, "looking for mails due failed; retrying");
      }
      if (failures > 0)
        await sleep(
          backoffCeiling(failures + 1, { initialMs: options.pollIntervalMs, maxMs: MAX_IDLE_BACKOFF_MS }),
          signal,
        );
      else if (attempted > 0) listener?.busy();
      else if (!listener) await sleep(options.pollIntervalMs, signal);
      // Just registered as idle: a mail recorded before that notified nobody, so look once more.
      else if (!(await listener.idle()))
        await listener.wait(
          listener.listening ? await untilDue(fallbackMs) : options.pollIntervalMs,
          options.pollIntervalMs,
          signal,
        );
    }
    await listener?.close();
  }

  return {
    sendDue,
    start() {
      if (loop) return;
      stopping = new AbortController();
      const fallbackMs = options.fallbackPollMs ?? 5_000;
      const listener = fallbackMs > 0 ? listenForWork(pool, "herald_email_due") : undefined;
      loop = run(stopping.signal, listener, fallbackMs);
    },
    async stop() {
      stopping?.abort();
      await loop;
      loop = undefined;
      transport.close?.();
    },
  };
}

/** The registry's counter of that name, created once: several senders may share one registry. */
function counter(registry: Registry, name: string, help: string): Counter<"template"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<"template">;
  return new Counter({ name, help, labelNames: ["template"], registers: [registry] });
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/** Runs `work` until it succeeds, backing off from 100 ms to 2 s; gives up with its error at `deadline`. */
async function retryUntil<T>(
  deadline: number,
  work: () => Promise<T>,
  retrying: (error: unknown, retryInMs: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const waitMs = backoffCeiling(attempt + 1, { initialMs: 100, maxMs: 2_000 });
      if (Date.now() + waitMs >= deadline) throw error;
      retrying(error, waitMs);
      await sleep(waitMs);
    }
  }
}

/** Rejects with the signal's reason once it aborts (a transport that ignores its signal is still given up). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
