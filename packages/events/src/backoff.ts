import { setTimeout as delay } from "node:timers/promises";

/**
 * How a retried piece of work waits between attempts: the one backoff of every runtime loop and
 * domain rule in Herald (the consumer's retries, the relay's reconnects, the payment worker's
 * gateway calls, the email sender's SMTP attempts, a consumer joining its group).
 */
export interface Backoff {
  /** Wait before the first retry. */
  readonly initialMs: number;
  /** Cap of the exponentially growing wait. */
  readonly maxMs: number;
}

/** The wait before retry `attempt` (1 for the first): initialMs × 2^(attempt-1), at most maxMs. */
export function backoffCeiling(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * {@link backoffCeiling} jittered in its upper half, so instances that failed together retry apart:
 * between half the ceiling and the ceiling.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, backoff);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await delay(ms, undefined, signal ? { signal } : undefined).catch(() => {});
}
