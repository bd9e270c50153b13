/** Not there yet: the probe is asked again. */
type NotYet = undefined | null | false;

/**
 * Asks `probe` every `intervalMs` until it answers something other than undefined, null or false,
 * and returns that answer; after `timeoutMs` fails naming `what` (and the probe's last error, if it
 * threw: a probe may throw while what it reads is not there yet). The one way a test waits for a
 * fact, instead of sleeping or reading once.
 */
export async function waitFor<T>(
  what: string | (() => string),
  probe: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const answer = await probe();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const name = typeof what === "string" ? what : what();
      const last = lastError === undefined ? "" : ` (last: ${(lastError as Error).message ?? lastError})`;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${name}${last}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
