// The retry loops of the consumer and the relay wait as everything else in Herald does.
export { type Backoff, backoffDelay, sleep } from "@herald/events";

const TRANSIENT_SQLSTATES = new Set(["40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03"]);
const TRANSIENT_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
const TRANSIENT_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i;

/**
 * Whether a Postgres failure is about reaching the database rather than the statement: connection
 * loss, server restart, too many connections, serialization conflicts or deadlocks. Such failures
 * are retried without limit; anything else is the statement's own fault.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (TRANSIENT_SQLSTATES.has(code) || code.startsWith("08") || code.startsWith("53")) return true;
      if (TRANSIENT_NODE_CODES.has(code)) return true;
    }
    if (TRANSIENT_MESSAGES.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/** Calls an observer hook; a throwing hook must not break the relay or consumer loop. */
export function notify<A extends unknown[]>(hook: ((...args: A) => void) | undefined, ...args: A): void {
  if (!hook) return;
  try {
    hook(...args);
  } catch {
    // observers are the caller's code; their failures are theirs to log
  }
}
