export { configSpec, loadPaymentConfig, type PaymentConfig } from "./config.js";
export { PAYMENT_ERROR_STATUS, PaymentError, type PaymentErrorCode } from "./errors.js";
export type { ChargeRequest, ChargeResult, PaymentGateway, RefundRequest } from "./gateway/gateway.js";
export { createSimulatedGateway } from "./gateway/simulator.js";
export { paymentMigrations } from "./migrations.js";
export { CONSUMED_TOPICS, createPaymentReactions } from "./payments/reactions.js";
export { createPaymentWorker, type PaymentWorker } from "./payments/worker.js";
export { paymentService } from "./service.js";
