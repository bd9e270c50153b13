import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  kafkaPrincipalOf,
  SERVICE_NAMES,
  type ServiceName,
  StackError,
  VERSIONS,
  ZIPKIN_VERSION,
} from "@herald/dev-stack";
import { repoRoot } from "@herald/dev-stack/compose";
import { relayConfigFromEnvironment } from "@herald/outbox";
import { telemetryConfigSpec } from "@herald/service-kit";
import {
  type ComposeModel,
  type LintFacts,
  lintCompose,
  type ServiceFacts,
  type SpecVariable,
} from "./compose-lint.js";
import { committedKafkaAccess, KAFKA_ACCESS_FILE, renderKafkaAccess } from "./kafka-access.js";
import { note } from "./report.js";

/**
 * The checks Compose cannot make, run on its resolved model before anything starts: the facts
 * they compare it with (each service's manifest, exported configSpec and the relay's variables;
 * the pinned image versions; the Kafka access file), gathered here, and the verdict.
 */

const RELAY_VARIABLES = [
  "DATABASE_URL",
  "KAFKA_BROKERS",
  "KAFKA_SASL_MECHANISM",
  "KAFKA_USERNAME",
  "KAFKA_PASSWORD",
  "KAFKA_SSL",
  "HERALD_ENV",
  "SCHEMA_REGISTRY_URL",
  "RELAY_CLIENT_ID",
  "RELAY_TOPIC_PREFIX",
  "RELAY_BATCH_SIZE",
  "RELAY_METRICS_PORT",
  // The relay process is traced like the services (service-kit's relay-main).
  ...Object.keys(telemetryConfigSpec()),
];

/**
 * Lints the compose model against the repository; throws with every problem (also written to
 * `static-checks.txt` in `logDir`), or answers the services that can run.
 */
export async function runStaticChecks(model: ComposeModel, logDir: string): Promise<ServiceName[]> {
  const facts = await lintFacts();
  const problems = lintCompose(model, facts);
  if (committedKafkaAccess() !== renderKafkaAccess())
    problems.push(`${KAFKA_ACCESS_FILE} is out of step with the contract: run npm run compose:files`);
  const pending = facts.services.filter((service) => !service.configSpec).map((service) => service.name);
  if (pending.length > 0) note(`no configSpec exported yet, environment unchecked: ${pending.join(", ")}`);
  if (problems.length > 0) {
    writeFileSync(join(logDir, "static-checks.txt"), `${problems.join("\n")}\n`);
    for (const problem of problems) console.error(`  ✗ ${problem}`);
    throw new StackError(
      `${problems.length} problem(s) in docker-compose.yml: ${problems[0]}`,
      "make the compose file match the services (list above)",
    );
  }
  return runnableServices();
}

/** Services whose composition root exists; the others are still being written. */
function runnableServices(): ServiceName[] {
  return SERVICE_NAMES.filter((name) => existsSync(join(repoRoot, "services", name, "src", "main.ts")));
}

async function lintFacts(): Promise<LintFacts> {
  const services: ServiceFacts[] = [];
  for (const name of SERVICE_NAMES) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "services", name, "package.json"), "utf8")) as {
      name: string;
      version: string;
      herald?: { port?: number; relayMetricsPort?: number };
    };
    let configSpec: Record<string, SpecVariable> | undefined;
    try {
      const module = (await import(manifest.name)) as { configSpec?: Record<string, SpecVariable> };
      // Every service process also reads the telemetry settings (service-kit's startService).
      configSpec = module.configSpec && { ...module.configSpec, ...telemetryConfigSpec() };
    } catch (error) {
      throw new StackError(
        `cannot import ${manifest.name} for its configSpec: ${(error as Error).message.split("\n")[0]}`,
        `fix services/${name}/src/index.ts (compose:check reads configSpec from the package's exports)`,
      );
    }
    services.push({
      name,
      version: manifest.version,
      ...(manifest.herald?.port !== undefined ? { port: manifest.herald.port } : {}),
      ...(manifest.herald?.relayMetricsPort !== undefined
        ? { relayMetricsPort: manifest.herald.relayMetricsPort }
        : {}),
      ...(configSpec ? { configSpec } : {}),
    });
  }
  const devStack = JSON.parse(
    readFileSync(join(repoRoot, "packages", "dev-stack", "package.json"), "utf8"),
  ) as {
    dependencies: Record<string, string>;
  };
  return {
    services,
    imageVersions: {
      "apache/kafka": VERSIONS.kafka,
      "apicurio/apicurio-registry": VERSIONS.apicurio,
      "maildev/maildev": devStack.dependencies.maildev ?? "",
      "openzipkin/zipkin": ZIPKIN_VERSION,
    },
    kafkaAccessFile: KAFKA_ACCESS_FILE,
    kafkaPrincipalOf,
    relayVariables: RELAY_VARIABLES,
    checkRelayEnvironment: (env) => void relayConfigFromEnvironment(env),
    exists: existsSync,
  };
}
