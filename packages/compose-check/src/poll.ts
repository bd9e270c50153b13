import { StackError } from "@herald/dev-stack";

/**
 * Checks every half second until `check` holds; past `timeoutMs`, fails with `detail()` and the
 * last error.
 */
export async function poll(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new StackError(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}: ${detail()}${lastError ? ` (${lastError})` : ""}`,
    "run with --keep and inspect: docker compose ps / logs",
  );
}
