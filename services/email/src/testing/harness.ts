import { testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import type { DomainEvent, EventType } from "@herald/events";
import { type ServiceContext, withTransaction } from "@herald/service-kit";
import { type Inject, injectAs, startServiceUnderTest, testTokens } from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { onTestFinished } from "vitest";
import type { EmailConfig } from "../config.js";
import { createMailSender, type MailSender, type MailSenderOptions } from "../mail/sender.js";
import { emailService } from "../service.js";
import { type SmtpAnswer, startTestSmtpServer, type TestSmtpServer } from "./smtp-server.js";

/** The services' test logger (silent unless TEST_LOG_LEVEL names a level), which the harness's service uses. */
export { testLogger as logger } from "@herald/service-kit/testing";
export { waitFor };

/** The settings tests run with: fast retries, short timeouts, a poll that keeps tests quick. */
export const TEST_SETTINGS = {
  EMAIL_FROM: "Herald Test <orders@herald.test>",
  EMAIL_MAX_ATTEMPTS: "3",
  EMAIL_RETRY_INITIAL_MS: "20",
  EMAIL_RETRY_MAX_MS: "100",
  EMAIL_SMTP_TIMEOUT_MS: "2000",
  EMAIL_POLL_INTERVAL_MS: "20",
} as const;

type Settings = Partial<Record<keyof EmailConfig, string>>;

/** The Email service's parts on a fresh Postgres schema of its database, without Kafka consumption. */
export interface EmailHarness {
  readonly context: ServiceContext<EmailConfig>;
  readonly app: FastifyInstance;
  /** Requests as support staff: this service's API is staff's view of an order. */
  readonly support: Inject;
  /** Runs the consumer's handler on `event` in one transaction, as the consumer would. */
  react(event: DomainEvent): Promise<void>;
  /** Starts the service's sender (its `background`); returns its stop function. */
  startSender(): () => void | Promise<void>;
  emails(): Promise<EmailRow[]>;
  /** The outbox rows of one event type, as enqueued. */
  outbox<T = Record<string, unknown>>(type: EventType): Promise<T[]>;
  close(): Promise<void>;
}

export interface EmailRow {
  message_id: string;
  template: string;
  recipient: string;
  order_id: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
}

export async function createEmailHarness(settings: Settings = {}): Promise<EmailHarness> {
  const service = await startServiceUnderTest(emailService, {
    env: { EMAIL_OPS_ADDRESS: `${uniqueName("ops")}@email-test.herald`, ...TEST_SETTINGS, ...settings },
  });
  const { context, pool, app } = service;
  const handle = emailService.consumer!.handler(context);
  const stops: (() => void | Promise<void>)[] = [];
  return {
    context,
    app,
    support: injectAs(app, await testTokens.staff("support")),
    react: (event) => withTransaction(pool, (tx) => handle(event, tx)),
    startSender() {
      const stop = emailService.background!(context)!;
      stops.push(stop);
      return stop;
    },
    async emails() {
      const { rows } = await pool.query<EmailRow>(
        "SELECT message_id, template, recipient, order_id, status, attempts, last_error FROM emails ORDER BY created_at",
      );
      return rows;
    },
    async outbox<T>(type: EventType) {
      const { rows } = await pool.query<{ payload: T }>(
        "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id",
        [type],
      );
      return rows.map((row) => row.payload);
    },
    async close() {
      for (const stop of stops.reverse()) await stop();
      await service.close();
    },
  };
}

/**
 * A harness whose mail server is a test server answering each message as `answer` says (with
 * `settings` on top), both closed when the calling test finishes.
 */
export async function harnessWithSmtpServer(
  answer: (index: number) => SmtpAnswer,
  settings: Settings = {},
): Promise<{ h: EmailHarness; smtp: TestSmtpServer }> {
  const smtp = await startTestSmtpServer(answer);
  onTestFinished(() => smtp.close());
  const h = await createEmailHarness({ SMTP_URL: smtp.url, ...settings });
  onTestFinished(() => h.close());
  return { h, smtp };
}

/**
 * A mail sender of a test's own, beside the harness's: from the tests' address, silent, five mails at
 * a time, and `options` for the rest.
 */
export function createTestMailSender(
  options: Omit<MailSenderOptions, "from" | "logger" | "concurrency">,
): MailSender {
  return createMailSender({
    from: "Herald <orders@herald.test>",
    logger: pino({ level: "silent" }),
    concurrency: 5,
    ...options,
  });
}

/** A recipient address no other test uses: the mail sink is shared, so tests look only at their own. */
export function uniqueRecipient(label: string): string {
  return `${uniqueName(label)}@email-test.herald`;
}

/** A mail as MailDev's REST API shows it. */
export interface SinkMail {
  id: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
  to: { address: string; name: string }[];
  from: { address: string; name: string }[];
}

/** The mails MailDev holds for `recipient`. */
export async function sinkMailsTo(recipient: string): Promise<SinkMail[]> {
  const response = await fetch(`${testInfra().mailApiUrl}/email`);
  if (!response.ok) throw new Error(`MailDev answered ${response.status}`);
  const mails = (await response.json()) as SinkMail[];
  return mails.filter((mail) => mail.to.some((to) => to.address === recipient));
}

/** Deletes this test's mails from the shared sink, one by one (never all). */
export async function deleteSinkMailsTo(recipients: readonly string[]): Promise<void> {
  for (const recipient of recipients)
    for (const mail of await sinkMailsTo(recipient))
      await fetch(`${testInfra().mailApiUrl}/email/${mail.id}`, { method: "DELETE" });
}
