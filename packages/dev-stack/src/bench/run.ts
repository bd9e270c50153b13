import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultStackOptions } from "../config.js";
import { infraFromEnvironment } from "../environment.js";
import { StackError } from "../errors.js";
import { createStack } from "../stack.js";
import type { Benchmark, BenchmarkReport } from "./index.js";

/**
 * `npm run bench [-- <name>]`: runs every `packages/*\/bench/*.bench.ts` and `services/*\/bench/*.bench.ts`
 * (or those whose file path or benchmark name contains `<name>`) against real infrastructure, with a
 * live progress line, prints a table each and writes the results as JSON to `bench/results/`, with
 * the machine's load average before and after each benchmark: figures taken on a busy machine say so.
 */
async function main(root: string, filter: string | undefined): Promise<void> {
  const all = ["packages", "services"]
    .flatMap((group) => listDirs(join(root, group)).map((dir) => join(dir, "bench")))
    .flatMap((dir) => listFiles(dir).filter((file) => file.endsWith(".bench.ts")));
  const benchmarks: { file: string; benchmark: Benchmark }[] = [];
  for (const file of all) {
    if (filter && !relative(root, file).includes(filter) && !nameOf(file).includes(filter)) continue;
    benchmarks.push({ file, benchmark: (await import(pathToFileURL(file).href)).default as Benchmark });
  }
  if (benchmarks.length === 0) {
    console.log(filter ? `no benchmark matches "${filter}"` : "no benchmarks found");
    return;
  }
  const given = infraFromEnvironment();
  const stack = given ? undefined : createStack(defaultStackOptions());
  const started = stack ? await stack.up() : [];
  const infra = given ?? stack!.infra;
  const results: {
    benchmark: string;
    file: string;
    seconds: number;
    load: { before: number; after: number };
    report: BenchmarkReport;
  }[] = [];
  const failed: string[] = [];
  try {
    for (const { file, benchmark } of benchmarks) {
      console.log(`\n▶ ${benchmark.name} (${relative(root, file)})`);
      const before = loadavg()[0]!;
      const started = Date.now();
      const progress = createProgress();
      let report: BenchmarkReport;
      try {
        report = await benchmark.run({ infra, progress: progress.update });
      } catch (error) {
        // One broken benchmark does not cost the figures of the others.
        failed.push(benchmark.name);
        console.error(`  failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        continue;
      } finally {
        progress.end();
      }
      const load = { before: round(before), after: round(loadavg()[0]!) };
      const seconds = Math.round((Date.now() - started) / 1000);
      console.table(report.rows);
      for (const note of report.notes ?? []) console.log(`  ${note}`);
      console.log(
        `  ${seconds} s; 1-minute load average ${load.before} before, ${load.after} after, on ${availableParallelism()} cores`,
      );
      results.push({ benchmark: benchmark.name, file: relative(root, file), seconds, load, report });
    }
  } finally {
    if (stack && started.length > 0) await stack.down(started);
  }
  const outDir = join(root, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(":", "-");
  const out = join(outDir, `bench-${stamp}.json`);
  writeFileSync(
    out,
    `${JSON.stringify({ at: new Date().toISOString(), host: hostname(), cores: availableParallelism(), node: process.version, results, failed }, null, 2)}\n`,
  );
  console.log(`\nresults written to ${relative(root, out)}`);
  if (failed.length > 0) throw new Error(`failed: ${failed.join(", ")}`);
}

/** The benchmark's name, read from its file without importing it (for matching `<name>`). */
function nameOf(file: string): string {
  const match = /name:\s*"([^"]+)"/.exec(readFileSync(file, "utf8"));
  return match?.[1] ?? "";
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * The live progress line: on a terminal one line rewritten every second (elapsed time, load
 * average, the benchmark's last message); elsewhere (a log file) each new message on a line of its own.
 */
function createProgress(): { update: (message: string) => void; end: () => void } {
  const started = Date.now();
  const live = process.stderr.isTTY === true;
  let current = "starting";
  const line = () =>
    `  … +${Math.round((Date.now() - started) / 1000)}s load ${loadavg()[0]!.toFixed(1)}: ${current}`;
  const draw = () => process.stderr.write(`\r\x1b[K${line().slice(0, (process.stderr.columns ?? 120) - 1)}`);
  const timer = live ? setInterval(draw, 1_000) : undefined;
  timer?.unref();
  return {
    update(message) {
      if (message === current) return;
      current = message;
      if (live) draw();
      else process.stderr.write(`${line()}\n`);
    },
    end() {
      clearInterval(timer);
      if (live) process.stderr.write("\r\x1b[K");
    },
  };
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).map((file) => join(dir, file));
  } catch {
    return [];
  }
}

main(resolve(process.env.INIT_CWD ?? process.cwd()), process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StackError) console.error(`herald-bench: ${error.message}\n  → ${error.hint}`);
    else console.error("herald-bench:", error);
    process.exit(1);
  },
);
