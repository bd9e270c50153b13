import type { Infra } from "../infra.js";

export interface BenchmarkContext {
  readonly infra: Infra;
  /**
   * Says where the benchmark is (e.g. "relay at 1000 ev/s"): the runner keeps it on one live line
   * with the time elapsed, so a run of minutes shows that it moves. Cheap; call it as often as useful.
   */
  progress(message: string): void;
}

export interface BenchmarkReport {
  /** One row per measured case, printed as a table; include the baseline's rows in the same run. */
  readonly rows: readonly Record<string, string | number>[];
  readonly notes?: readonly string[];
}

/** A `*.bench.ts` file's default export. A benchmark measures and prints; it asserts nothing. */
export interface Benchmark {
  readonly name: string;
  run(context: BenchmarkContext): Promise<BenchmarkReport>;
}

/** The `p`th percentile (0–100) of ascending `sorted` values; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `value / baseline` rounded to two places, the form every benchmark states its ratio in. */
export function ratio(value: number, baseline: number): number {
  return baseline > 0 ? Number((value / baseline).toFixed(2)) : 0;
}
