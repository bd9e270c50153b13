import { defineService } from "@herald/service-kit";
import { configSpec, manifest } from "./config.js";
import { PAYMENT_ERROR_STATUS } from "./errors.js";
import { createSimulatedGateway } from "./gateway/simulator.js";
import { paymentMigrations } from "./migrations.js";
import { CONSUMED_TOPICS, createPaymentReactions } from "./payments/reactions.js";
import { registerPaymentRoutes } from "./payments/routes.js";
import { createPaymentWorker } from "./payments/worker.js";

/** The Payment service: charges each order once when it is placed and reserved, refunds on cancellation. */
export const paymentService = defineService({
  manifest,
  description:
    "Charges an order once its stock is reserved, through a card gateway with idempotency keys; refunds it if the order is cancelled after the charge.",
  configSpec,
  migrations: paymentMigrations,
  consumer: {
    topics: CONSUMED_TOPICS,
    handler: ({ logger, now }) => createPaymentReactions({ logger, now }),
  },
  http: { errorStatus: PAYMENT_ERROR_STATUS, bodyLimit: 16 * 1024 },
  routes(app, { pool }) {
    registerPaymentRoutes(app, pool);
  },
  background({ config, pool, logger, metrics, now }) {
    const worker = createPaymentWorker({
      pool,
      gateway: createSimulatedGateway({ pool, latencyMs: config.PAYMENT_GATEWAY_LATENCY_MS }),
      logger: logger.child({ component: "payment-worker" }),
      metrics,
      now,
      gatewayTimeoutMs: config.PAYMENT_GATEWAY_TIMEOUT_MS,
      pollMs: config.PAYMENT_WORKER_POLL_MS,
      retry: {
        maxAttempts: config.PAYMENT_MAX_ATTEMPTS,
        initialMs: config.PAYMENT_RETRY_INITIAL_MS,
        maxMs: config.PAYMENT_RETRY_MAX_MS,
      },
    });
    worker.start();
    return () => worker.stop();
  },
});
