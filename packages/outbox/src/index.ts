export {
  type ConsumeOutcome,
  type ConsumeReport,
  type Consumer,
  type ConsumerHealth,
  type ConsumerHooks,
  type ConsumerOptions,
  createConsumer,
} from "./consumer.js";
export {
  type DeadLetter,
  type DeadLetterListing,
  type DeadLetterToolOptions,
  listDeadLetters,
  type RedriveResult,
  redriveDeadLetters,
} from "./dlq.js";
export { enqueue, enqueueAll } from "./enqueue.js";
export { OutboxError, type OutboxErrorCode } from "./errors.js";
export { HEADERS } from "./headers.js";
export {
  OUTBOX_ERROR_STATUS,
  OUTBOX_POOL_SETTINGS,
  type OutboxHealth,
  type OutboxHealthOptions,
  type OutboxProblem,
  outboxHealth,
} from "./health.js";
export { DEFAULT_INBOX_RETENTION_MS, purgeInbox } from "./inbox.js";
export { quietIdleKafkaConnections } from "./kafkajs-idle.js";
export { OUTBOX_BUCKETS, outboxMigrations } from "./migrations.js";
export { listParkedKeys, type ParkedKey } from "./parked-keys.js";
export { listParked, type ParkedAggregate, releaseParked } from "./parking.js";
export {
  createRelay,
  type ParkedRow,
  type PublishedEvent,
  type Relay,
  type RelayHooks,
  type RelayOptions,
} from "./relay.js";
export {
  isDevelopmentKafkaPassword,
  type KafkaSasl,
  kafkaLoginFromEnvironment,
  type RelayProcessConfig,
  relayConfigFromEnvironment,
} from "./relay-config.js";
export { withSavepoint } from "./savepoint.js";
export {
  activeTraceparent,
  formatTraceparent,
  parseTraceparent,
  startPublishSpans,
  tracedCause,
  traceProcessing,
  traceWork,
} from "./tracing.js";
export { listenForWork, Wakeup, type WorkListener } from "./wakeup.js";
