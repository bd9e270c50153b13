import { HeraldError } from "@herald/events";

export type OutboxErrorCode =
  /** An event given to `enqueue` does not match its Avro schema; nothing was written. */
  | "OUTBOX_SCHEMA_VIOLATION"
  /** The outbox has no partition for the next row: no relay has run its maintenance for a long time. */
  | "OUTBOX_NO_PARTITION"
  /** Postgres could not be reached or dropped the connection; retrying can help. */
  | "OUTBOX_DATABASE_UNAVAILABLE"
  /** Kafka could not be reached, or a consumer lost its connection to the group. */
  | "OUTBOX_KAFKA_UNAVAILABLE"
  /** Kafka did not acknowledge a send; the relay sends the batch again. */
  | "OUTBOX_PUBLISH_FAILED"
  /** An outbox row could not be Avro-encoded (e.g. the registry is down); the relay retries it. */
  | "OUTBOX_ENCODE_FAILED"
  /** A consumed message is not a Herald event this build can read. */
  | "OUTBOX_UNDECODABLE_MESSAGE"
  /** A consumer's handler threw. */
  | "OUTBOX_HANDLER_FAILED"
  /** A message kept failing with retryable errors until the attempts ran out. */
  | "OUTBOX_RETRIES_EXHAUSTED"
  /** A message could not be written to the dead-letter topic; the consumer tries again. */
  | "OUTBOX_DEAD_LETTER_FAILED"
  /** Partition upkeep or backlog measurement failed; publishing is not affected. */
  | "OUTBOX_MAINTENANCE_FAILED"
  /** A relay or consumer was configured with an impossible value. */
  | "OUTBOX_INVALID_OPTIONS"
  /** Postgres answered a consumer's COMMIT with ROLLBACK: the handler caught a failed statement's error. */
  | "OUTBOX_TRANSACTION_ROLLED_BACK"
  /** A consumed message's key is parked after an earlier message of it was dead-lettered; it follows that one. */
  | "OUTBOX_KEY_PARKED"
  /** The schema registry could not be reached from a consumer's handler; retrying can help. */
  | "OUTBOX_REGISTRY_UNAVAILABLE"
  /**
   * An outbox row this relay can never encode (unknown event type, a writer schema other than its
   * own, a payload its schema refuses): its aggregate is parked until a relay can or an operator skips it.
   */
  | "OUTBOX_UNENCODABLE_ROW";

const RETRYABLE: ReadonlySet<OutboxErrorCode> = new Set([
  "OUTBOX_NO_PARTITION",
  "OUTBOX_DATABASE_UNAVAILABLE",
  "OUTBOX_KAFKA_UNAVAILABLE",
  "OUTBOX_PUBLISH_FAILED",
  "OUTBOX_ENCODE_FAILED",
  "OUTBOX_HANDLER_FAILED",
  "OUTBOX_DEAD_LETTER_FAILED",
  "OUTBOX_MAINTENANCE_FAILED",
  "OUTBOX_TRANSACTION_ROLLED_BACK",
  "OUTBOX_REGISTRY_UNAVAILABLE",
]);

/** Every failure of `@herald/outbox`; `code` says what happened, `retryable` whether trying again can help. */
export class OutboxError extends HeraldError<OutboxErrorCode> {
  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(code, message, { ...options, retryable: options?.retryable ?? RETRYABLE.has(code) });
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
