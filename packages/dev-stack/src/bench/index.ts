import type { Infra } from "../stack.js";

export interface BenchmarkContext {
  readonly infra: Infra;
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
