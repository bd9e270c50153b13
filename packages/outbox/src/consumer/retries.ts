import { EventsError } from "@herald/events";
import { errorMessage, OutboxError, type OutboxErrorCode } from "../errors.js";
import { backoffDelay, isTransientDatabaseError } from "../retry.js";
import type { ConsumerSettings } from "./context.js";

/** Why one attempt failed, and whether and how it may be tried again. */
export interface Failure {
  readonly error: OutboxError;
  /** Database or registry unreachable: retried for as long as it takes, not counted as an attempt. */
  readonly infrastructure: boolean;
}

/** Failures of our own infrastructure: no message is at fault, so none is ever dead-lettered for them. */
const INFRASTRUCTURE_CODES: ReadonlySet<OutboxErrorCode> = new Set([
  "OUTBOX_DATABASE_UNAVAILABLE",
  "OUTBOX_NO_PARTITION",
  "OUTBOX_KAFKA_UNAVAILABLE",
  "OUTBOX_REGISTRY_UNAVAILABLE",
]);

export function classify(error: unknown): Failure {
  const failure = error instanceof OutboxError ? error : handlerFailure(error);
  const infrastructure =
    INFRASTRUCTURE_CODES.has(failure.code) ||
    (failure.code === "OUTBOX_UNDECODABLE_MESSAGE" && failure.retryable);
  return { error: failure, infrastructure };
}

/** The inbox transaction itself failed: the database, not the message. */
export function infrastructureFailure(error: unknown): OutboxError {
  return new OutboxError(
    "OUTBOX_DATABASE_UNAVAILABLE",
    `the inbox transaction failed: ${errorMessage(error)}`,
    { cause: error, retryable: true },
  );
}

/**
 * A handler's error is retried unless it says `retryable: false`. Failures of our infrastructure
 * inside the handler, found anywhere in its cause chain (a database outage, an outbox without
 * partitions, the registry unreachable), are infrastructure: retried without counting.
 */
export function handlerFailure(error: unknown): OutboxError {
  if (isTransientDatabaseError(error)) return infrastructureFailure(error);
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof OutboxError && INFRASTRUCTURE_CODES.has(current.code)) return current;
    if (current instanceof EventsError && current.retryable)
      return new OutboxError("OUTBOX_REGISTRY_UNAVAILABLE", `the handler failed: ${current.message}`, {
        cause: error,
      });
    current = current.cause;
  }
  const retryable = (error as { retryable?: unknown } | null)?.retryable !== false;
  return new OutboxError("OUTBOX_HANDLER_FAILED", `the handler failed: ${errorMessage(error)}`, {
    cause: error,
    retryable,
  });
}

/** What to do after a failed attempt: wait and try again, or give up with this error. */
export type RetryVerdict = { readonly retryInMs: number } | { readonly giveUp: OutboxError };

/**
 * The retry budget of one message: failures of the message (its handler) count against
 * `retryBudgetMs` from the first of them and against `maxAttempts`; failures of our infrastructure
 * are retried without limit, and an outage in between starts the budget again.
 */
export class RetryBudget {
  private counted = 0;
  private failingSince: number | undefined;

  constructor(private readonly settings: ConsumerSettings) {}

  /** Records the failure of attempt `attempt` (1 for the first try) and says what comes next. */
  next(failure: Failure, attempt: number): RetryVerdict {
    const { maxAttempts, retryBudgetMs, retry } = this.settings;
    if (failure.infrastructure) {
      // An outage in between makes the earlier failures suspect: the budget starts again after it.
      this.failingSince = undefined;
    } else {
      this.counted += 1;
      this.failingSince ??= Date.now();
    }
    const elapsed = this.failingSince === undefined ? 0 : Date.now() - this.failingSince;
    const exhausted = !failure.infrastructure && (this.counted >= maxAttempts || elapsed >= retryBudgetMs);
    if (!failure.error.retryable || exhausted)
      return {
        giveUp:
          exhausted && failure.error.retryable
            ? exhaustedError(failure.error, this.counted, elapsed)
            : failure.error,
      };
    const delay = backoffDelay(failure.infrastructure ? attempt : this.counted, retry);
    return { retryInMs: failure.infrastructure ? delay : Math.min(delay, retryBudgetMs - elapsed) };
  }
}

function exhaustedError(last: OutboxError, attempts: number, elapsedMs: number): OutboxError {
  const seconds = (elapsedMs / 1000).toFixed(1);
  return new OutboxError(
    "OUTBOX_RETRIES_EXHAUSTED",
    `gave up after ${attempts} attempts in ${seconds} s: ${last.message}`,
    { cause: last.cause ?? last, retryable: false },
  );
}
