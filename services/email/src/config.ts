import { type ConfigOf, env, readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

// A plain address, or a display name and an address in angle brackets: `Herald <orders@herald.local>`.
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const MAILBOX = /^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

/** Every setting of the Email service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec(manifest),
  SMTP_URL: env.url({
    description: "the mail server, smtp://[user:password@]host:port (smtps:// for implicit TLS)",
    protocols: ["smtp:", "smtps:"],
    secret: true,
  }),
  EMAIL_FROM: env.string({
    description: "the From of every mail; its domain also names the Message-IDs",
    pattern: MAILBOX,
  }),
  EMAIL_OPS_ADDRESS: env.string({
    description: "where the sales digest goes",
    pattern: ADDRESS,
  }),
  EMAIL_DIGEST_QUIET_PERIODS: env.oneOf(["skip", "send"], {
    description: "whether a sales period without any order still gets a digest mail",
    default: "skip",
  }),
  EMAIL_MAX_ATTEMPTS: env.integer({
    description: "SMTP attempts per mail before it is given up (EmailFailed)",
    default: 6,
    min: 1,
    max: 100,
  }),
  EMAIL_RETRY_INITIAL_MS: env.integer({
    description: "wait before the second attempt; doubles per attempt",
    default: 2_000,
    min: 1,
    max: 3_600_000,
  }),
  EMAIL_RETRY_MAX_MS: env.integer({
    description: "the longest wait between two attempts",
    default: 300_000,
    min: 1,
    max: 86_400_000,
  }),
  EMAIL_SMTP_TIMEOUT_MS: env.integer({
    description: "connection, greeting and socket timeout of one SMTP conversation",
    default: 15_000,
    min: 100,
    max: 600_000,
  }),
  EMAIL_POLL_INTERVAL_MS: env.integer({
    description:
      "how often the sender looks for due mails until it waits for a wake-up (its first quarter second without work, or while its listening connection is down)",
    default: 250,
    min: 10,
    max: 60_000,
  }),
  EMAIL_RETENTION_DAYS: env.integer({
    description:
      "days the service keeps a settled mail's recipient, subject and bodies and a customer's name and address",
    default: 30,
    min: 1,
    max: 3_650,
  }),
  EMAIL_SEND_CONCURRENCY: env.integer({
    description: "mails in flight at once per instance",
    default: 8,
    min: 1,
    max: 100,
  }),
};

export type EmailConfig = ConfigOf<typeof configSpec>;
