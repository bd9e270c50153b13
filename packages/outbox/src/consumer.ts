import { BatchHandler } from "./consumer/batch.js";
import { createConsumerContext } from "./consumer/context.js";
import { DeadLetters } from "./consumer/dead-letter.js";
import { GroupMembership } from "./consumer/group.js";
import type { Consumer, ConsumerOptions } from "./consumer/types.js";
import { quietIdleKafkaConnections } from "./kafkajs-idle.js";

export type {
  ConsumeOutcome,
  ConsumeReport,
  Consumer,
  ConsumerHealth,
  ConsumerHooks,
  ConsumerOptions,
} from "./consumer/types.js";

/**
 * The idempotent consumer: each message's handler runs in a DB transaction that records (group,
 * eventId) in the inbox, so a redelivered event changes nothing twice and whatever the handler
 * enqueues is published exactly when its changes commit. Consecutive messages of a partition share
 * a transaction (one inbox insert for them, a savepoint per handler, so one failing handler is
 * rolled back alone). Offsets are resolved only after the commit.
 * Retryable failures back off and retry the same message, within `retryBudgetMs`; failures of our
 * own infrastructure are retried without limit. Undecodable messages, non-retryable handler errors
 * and exhausted retries go to the dead-letter topic with the error in headers, and their key (the
 * aggregate id) is parked: its later messages follow it to the dead-letter topic, in order, until
 * an operator redrives them (see `redriveDeadLetters`).
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  quietIdleKafkaConnections();
  const ctx = createConsumerContext(options);
  const deadLetters = new DeadLetters(ctx);
  const group = new GroupMembership(ctx, deadLetters, new BatchHandler(ctx, deadLetters));
  return {
    health: () => ctx.monitor.health(),
    start: () => group.start(),
    stop: () => group.stop(),
  };
}
