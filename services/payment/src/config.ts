import { type ConfigOf, env, loadConfig, readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

/** Every setting of the Payment service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec(manifest),
  PAYMENT_GATEWAY_LATENCY_MS: env.integer({
    description: "how long each call to the simulated card processor takes",
    default: 150,
    min: 0,
    max: 60_000,
  }),
  PAYMENT_GATEWAY_TIMEOUT_MS: env.integer({
    description:
      "a gateway call unanswered this long has an unknown outcome and is retried with the same key",
    default: 10_000,
    min: 100,
    max: 300_000,
  }),
  PAYMENT_MAX_ATTEMPTS: env.integer({
    description: "charge attempts the processor may refuse (transient errors) before the payment fails",
    default: 5,
    min: 1,
    max: 100,
  }),
  PAYMENT_RETRY_INITIAL_MS: env.integer({
    description: "backoff after the first failed gateway attempt; doubles per attempt",
    default: 500,
    min: 1,
    max: 600_000,
  }),
  PAYMENT_RETRY_MAX_MS: env.integer({
    description: "cap of the backoff between gateway attempts",
    default: 30_000,
    min: 1,
    max: 3_600_000,
  }),
  PAYMENT_WORKER_POLL_MS: env.integer({
    description:
      "how often the gateway worker looks for due charges and refunds until it waits for a wake-up (its first quarter second without work, or while its listening connection is down)",
    default: 25,
    min: 10,
    max: 60_000,
  }),
};

export type PaymentConfig = ConfigOf<typeof configSpec>;

export function loadPaymentConfig(source: NodeJS.ProcessEnv = process.env): PaymentConfig {
  return loadConfig(configSpec, source);
}
