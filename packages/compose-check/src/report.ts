/** What compose:check prints as it goes: each step with its duration, and notes under it. */

/** Runs one step of the check, printing its start, and its outcome with how long it took. */
export async function step<T>(name: string, action: () => T | Promise<T>): Promise<T> {
  const startedAt = Date.now();
  process.stdout.write(`compose:check ▸ ${name} …\n`);
  try {
    const result = await action();
    console.log(`compose:check ✓ ${name} (${((Date.now() - startedAt) / 1000).toFixed(1)}s)`);
    return result;
  } catch (error) {
    console.log(`compose:check ✗ ${name} (${((Date.now() - startedAt) / 1000).toFixed(1)}s)`);
    throw error;
  }
}

/** A line of detail under the current step. */
export function note(message: string): void {
  console.log(`compose:check   ${message}`);
}
