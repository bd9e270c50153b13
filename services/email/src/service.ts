import { defineService } from "@herald/service-kit";
import { configSpec, manifest } from "./config.js";
import { domainOf } from "./mail/message-id.js";
import { createEmailReactions, EMAIL_TOPICS } from "./mail/reactions.js";
import { createRetentionSweeper } from "./mail/retention.js";
import { registerEmailRoutes } from "./mail/routes.js";
import { createMailSender } from "./mail/sender.js";
import { createSmtpTransport, leaseFor, sendDeadlineFor } from "./mail/transport.js";
import { emailMigrations } from "./migrations.js";

/** How often personal data past its retention is looked for: hourly keeps it within a day's retention. */
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

/** The Email service: customer and operations mail, one identity per mail however often an event arrives. */
export const emailService = defineService({
  manifest,
  description:
    "Sends the order confirmation and cancellation mails and the operations sales digest over SMTP; each mail's Message-ID is derived from the event it answers.",
  configSpec,
  migrations: emailMigrations,
  consumer: {
    topics: EMAIL_TOPICS,
    handler: ({ config, logger }) =>
      createEmailReactions(
        {
          opsAddress: config.EMAIL_OPS_ADDRESS,
          messageIdDomain: domainOf(config.EMAIL_FROM),
          quietPeriods: config.EMAIL_DIGEST_QUIET_PERIODS,
        },
        logger.child({ component: "reactions" }),
      ),
  },
  routes(app, { pool }) {
    registerEmailRoutes(app, pool);
  },
  background({ config, pool, logger, metrics, now }) {
    const sender = createMailSender({
      pool,
      transport: createSmtpTransport(config.SMTP_URL, config.EMAIL_SMTP_TIMEOUT_MS),
      from: config.EMAIL_FROM,
      logger: logger.child({ component: "sender" }),
      maxAttempts: config.EMAIL_MAX_ATTEMPTS,
      retry: { initialMs: config.EMAIL_RETRY_INITIAL_MS, maxMs: config.EMAIL_RETRY_MAX_MS },
      leaseMs: leaseFor(config.EMAIL_SMTP_TIMEOUT_MS),
      sendDeadlineMs: sendDeadlineFor(config.EMAIL_SMTP_TIMEOUT_MS),
      concurrency: config.EMAIL_SEND_CONCURRENCY,
      pollIntervalMs: config.EMAIL_POLL_INTERVAL_MS,
      metrics,
      now,
    });
    const retention = createRetentionSweeper({
      pool,
      retentionDays: config.EMAIL_RETENTION_DAYS,
      intervalMs: RETENTION_SWEEP_MS,
      logger: logger.child({ component: "retention" }),
      now,
    });
    sender.start();
    retention.start();
    return async () => {
      await retention.stop();
      await sender.stop();
    };
  },
});
