import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generate } from "./codegen.js";
import { EventsError } from "./errors.js";
import { checkSchemas } from "./schema-check.js";
import { loadSchemas, loadSchemasOrThrow } from "./schema-loader.js";
import { DEFAULT_SCHEMAS_DIR, displayPath, gitSchemaSources, readSchemaSources } from "./schema-sources.js";

const USAGE = `usage: herald-events <command>
  codegen [--schemas <dir>]                regenerate src/generated/ from the schemas
  check [--base <rev>] [--schemas <dir>]   validate every schema; changed ones must stay compatible
        [--registry <url>]                 with their version at <rev> (default HEAD) and, with
                                           --registry, be accepted by the registry as the next
                                           version of their subject
  register [--registry <url>]              register every event schema under its subject
                                           (default $SCHEMA_REGISTRY_URL or the local stack's)
The schemas are read from --schemas, $HERALD_SCHEMAS_DIR or the repository's schemas/.`;
const GENERATED_DIR = fileURLToPath(new URL("./generated/", import.meta.url));
const LOCAL_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { base: { type: "string" }, schemas: { type: "string" }, registry: { type: "string" } },
  });
  const dir = values.schemas ?? (process.env.HERALD_SCHEMAS_DIR || DEFAULT_SCHEMAS_DIR);
  switch (positionals[0]) {
    case "codegen": {
      mkdirSync(GENERATED_DIR, { recursive: true });
      for (const file of generate(loadSchemasOrThrow(readSchemaSources(dir)))) {
        const path = join(GENERATED_DIR, file.name);
        const before = readIfExists(path);
        if (before !== file.content) writeFileSync(path, file.content);
        console.log(`${before === file.content ? "unchanged" : "wrote"} ${displayPath(path)}`);
      }
      return 0;
    }
    case "check": {
      const base = values.base ?? "HEAD";
      const report = checkSchemas(gitSchemaSources(dir, base), readSchemaSources(dir));
      const list = (paths: readonly string[]) => (paths.length ? ` (${paths.join(", ")})` : "");
      console.log(`schemas in ${displayPath(dir)}: ${report.schemas} valid`);
      console.log(
        `compared with ${base}: ${report.changed.length} changed${list(report.changed)}, ` +
          `${report.added.length} added${list(report.added)}`,
      );
      for (const path of report.removed)
        console.log(`note: ${path} was removed; its subject stays registered and old messages remain`);
      const problems = [...report.problems];
      if (values.registry) {
        // Loaded here so that a check without a registry runs even when the generated code is stale.
        const { askRegistry } = await import("./registry-check.js");
        const asked = new Set([...report.changed, ...report.added]);
        const schemas = loadSchemas(readSchemaSources(dir)).schemas.filter((s) => asked.has(s.path));
        for (const { path, subject, verdict } of await askRegistry(values.registry, schemas)) {
          if (verdict === "refused")
            problems.push({
              path,
              message: `the registry refuses it as the next version of ${subject}: publish the change under a new subject (docs/changing-events.md)`,
            });
          else
            console.log(
              `registry: ${subject} ${verdict === "accepted" ? "accepts it" : "is not registered yet"}`,
            );
        }
      }
      for (const problem of problems) console.error(`✗ ${problem.path}: ${problem.message}`);
      console.log(problems.length ? `${problems.length} problem(s)` : "ok");
      return problems.length ? 1 : 0;
    }
    case "register": {
      // Loaded here so that codegen runs even when the generated code is missing or stale.
      const { createEventSerde } = await import("./serde.js");
      const { subjectOf, TOPICS } = await import("./topics.js");
      const url = values.registry ?? process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;
      await createEventSerde({ registryUrl: url }).register();
      for (const topic of Object.values(TOPICS))
        for (const type of topic.events) console.log(`registered ${subjectOf(type)}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof EventsError) console.error(`herald-events: ${error.code}: ${error.message}`);
    else console.error(`herald-events: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
