/** The chaos test's output: its progress lines, and durations as it writes them. */

const started = Date.now();

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Progress, as it happens: a run of minutes should say where it is. */
export function progress(message: string): void {
  const now = new Date();
  process.stdout.write(
    `chaos ${now.toISOString().slice(11, 19)} +${seconds(now.getTime() - started)}: ${message}\n`,
  );
}
