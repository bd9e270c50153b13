import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultStackOptions } from "../config.js";
import { infraFromEnvironment } from "../environment.js";
import { StackError } from "../errors.js";
import { createStack } from "../stack.js";
import type { Benchmark, BenchmarkReport } from "./index.js";

/**
 * `npm run bench [filter]`: runs every `packages/*\/bench/*.bench.ts` and `services/*\/bench/*.bench.ts`
 * against real infrastructure, prints a table each and writes the results as JSON to `bench/results/`.
 */
async function main(root: string, filter: string | undefined): Promise<void> {
  const files = ["packages", "services"]
    .flatMap((group) => listDirs(join(root, group)).map((dir) => join(dir, "bench")))
    .flatMap((dir) => listFiles(dir).filter((file) => file.endsWith(".bench.ts")))
    .filter((file) => !filter || file.includes(filter));
  if (files.length === 0) {
    console.log(filter ? `no benchmark matches "${filter}"` : "no benchmarks found");
    return;
  }
  const given = infraFromEnvironment();
  const stack = given ? undefined : createStack(defaultStackOptions());
  const started = stack ? await stack.up() : [];
  const infra = given ?? stack!.infra;
  const results: { benchmark: string; file: string; report: BenchmarkReport }[] = [];
  try {
    for (const file of files) {
      const benchmark = (await import(pathToFileURL(file).href)).default as Benchmark;
      console.log(`\n▶ ${benchmark.name} (${relative(root, file)})`);
      const report = await benchmark.run({ infra });
      console.table(report.rows);
      for (const note of report.notes ?? []) console.log(`  ${note}`);
      results.push({ benchmark: benchmark.name, file: relative(root, file), report });
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
    `${JSON.stringify({ at: new Date().toISOString(), host: hostname(), node: process.version, results }, null, 2)}\n`,
  );
  console.log(`\nresults written to ${relative(root, out)}`);
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
