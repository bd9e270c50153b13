import { isAbsolute, join } from "node:path";
import { parseImageName } from "@herald/dev-stack/compose";

/**
 * What `docker compose config --format json` says of the file (only the parts checked here).
 * Compose validates syntax and references; these checks cover what it cannot know.
 */
export interface ComposeModel {
  readonly services: Readonly<Record<string, ComposeService>>;
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: { context: string; dockerfile?: string; args?: Record<string, string | null> };
  readonly environment?: Record<string, string | null>;
  readonly command?: readonly string[] | null;
  readonly volumes?: readonly { type: string; source?: string; target: string }[];
}

/** A config variable as the service kit declares it: required when it has no default. */
export interface SpecVariable {
  readonly default?: unknown;
  readonly secret?: boolean;
  parse(raw: string): unknown;
}

export interface ServiceFacts {
  readonly name: string;
  /** package.json `version`: the image tag and the VERSION build argument. */
  readonly version: string;
  /** package.json `herald.port` / `herald.relayMetricsPort`, when declared. */
  readonly port?: number;
  readonly relayMetricsPort?: number;
  /** The service's exported `configSpec`; undefined while the service has none yet. */
  readonly configSpec?: Readonly<Record<string, SpecVariable>>;
}

export interface LintFacts {
  readonly services: readonly ServiceFacts[];
  /** Image repository → the version the native stack runs (tags must equal it). */
  readonly imageVersions: Readonly<Record<string, string>>;
  /** The Kafka access file kafka-init must mount (its content is checked against the contract apart). */
  readonly kafkaAccessFile: string;
  /** A service's Kafka principal (`herald-<service>`): the service and its relay log in as it. */
  readonly kafkaPrincipalOf: (service: string) => string;
  readonly relayVariables: readonly string[];
  /** Validates a relay's environment the way the relay process does; throws with the reason. */
  readonly checkRelayEnvironment: (env: NodeJS.ProcessEnv) => void;
  readonly exists: (path: string) => boolean;
}

const RELAY_ENTRY = "/app/packages/service-kit/dist/relay-main.js";
const KAFKA_INIT = "kafka-init";

/** Everything wrong with the compose model against the repository; empty when all is well. */
export function lintCompose(model: ComposeModel, facts: LintFacts): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(model.services)) {
    problems.push(...checkPaths(name, service, facts));
    problems.push(...checkImageVersion(name, service, facts));
  }
  for (const service of facts.services) {
    problems.push(...checkService(model, service));
    problems.push(...checkRelay(model, service, facts));
    problems.push(...checkKafkaLogin(model, service.name, facts));
  }
  problems.push(...checkKafkaInit(model, facts));
  return problems;
}

function checkPaths(name: string, service: ComposeService, facts: LintFacts): string[] {
  const problems: string[] = [];
  if (service.build) {
    const dockerfile = service.build.dockerfile ?? "Dockerfile";
    const path = isAbsolute(dockerfile) ? dockerfile : join(service.build.context, dockerfile);
    if (!facts.exists(service.build.context))
      problems.push(`${name}: build context ${service.build.context} does not exist`);
    else if (!facts.exists(path)) problems.push(`${name}: Dockerfile ${path} does not exist`);
  }
  for (const volume of service.volumes ?? []) {
    if (volume.type === "bind" && volume.source && !facts.exists(volume.source))
      problems.push(`${name}: bind-mount source ${volume.source} (for ${volume.target}) does not exist`);
  }
  return problems;
}

function checkImageVersion(name: string, service: ComposeService, facts: LintFacts): string[] {
  if (!service.image) return [];
  const { repository, tag } = parseImageName(service.image);
  const expected = facts.imageVersions[repository];
  if (expected === undefined || tag === expected) return [];
  return [`${name}: image ${service.image} but the native stack runs ${repository} ${expected}`];
}

function checkService(model: ComposeModel, facts: ServiceFacts): string[] {
  const name = facts.name;
  const service = model.services[name];
  if (!service) return [`service ${name} is missing from the compose file`];
  const problems: string[] = [];
  const image = `herald/${name}:${facts.version}`;
  if (service.image !== image) problems.push(`${name}: image should be ${image} (its package.json version)`);
  const args = service.build?.args ?? {};
  if (!service.build) problems.push(`${name}: has no build section`);
  else {
    if (args.SERVICE !== name) problems.push(`${name}: build arg SERVICE should be ${name}`);
    if (args.VERSION !== facts.version)
      problems.push(`${name}: build arg VERSION should be ${facts.version}`);
  }
  const env = environment(service);
  if (facts.port !== undefined) {
    if (env.PORT !== String(facts.port))
      problems.push(`${name}: PORT should be ${facts.port} (package.json herald.port)`);
    if (service.build && args.PORT !== String(facts.port))
      problems.push(`${name}: build arg PORT should be ${facts.port}`);
  }
  if (facts.configSpec) problems.push(...checkEnvironment(name, env, facts.configSpec));
  return problems;
}

/** Every required variable set, none unknown, each value one the service accepts. */
export function checkEnvironment(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  spec: Readonly<Record<string, SpecVariable>>,
): string[] {
  const problems: string[] = [];
  for (const [variable, declared] of Object.entries(spec)) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === "") {
      if (declared.default === undefined)
        problems.push(`${name}: ${variable} is required by its configSpec but not set`);
      continue;
    }
    try {
      declared.parse(raw);
    } catch (error) {
      const shown = declared.secret ? "" : ` (${JSON.stringify(raw)})`;
      problems.push(`${name}: ${variable}${shown} is rejected: ${(error as Error).message}`);
    }
  }
  for (const variable of Object.keys(env)) {
    if (!Object.hasOwn(spec, variable))
      problems.push(`${name}: ${variable} is set but its configSpec has no such variable`);
  }
  return problems;
}

function checkRelay(model: ComposeModel, facts: ServiceFacts, lint: LintFacts): string[] {
  const name = `${facts.name}-relay`;
  const relay = model.services[name];
  if (!relay) return [`service ${name} (the outbox relay of ${facts.name}) is missing from the compose file`];
  const problems: string[] = [];
  const image = `herald/${facts.name}:${facts.version}`;
  if (relay.image !== image) problems.push(`${name}: image should be ${image}, the image of ${facts.name}`);
  if (!relay.command?.includes(RELAY_ENTRY)) problems.push(`${name}: command should run ${RELAY_ENTRY}`);
  const env = environment(relay);
  for (const variable of Object.keys(env)) {
    if (!lint.relayVariables.includes(variable))
      problems.push(`${name}: ${variable} is set but the relay reads no such variable`);
  }
  try {
    lint.checkRelayEnvironment(env);
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
  }
  if (facts.relayMetricsPort !== undefined && env.RELAY_METRICS_PORT !== String(facts.relayMetricsPort))
    problems.push(
      `${name}: RELAY_METRICS_PORT should be ${facts.relayMetricsPort} (package.json herald.relayMetricsPort)`,
    );
  const serviceDb = environment(model.services[facts.name] ?? {}).DATABASE_URL;
  if (serviceDb !== undefined && env.DATABASE_URL !== serviceDb)
    problems.push(
      `${name}: DATABASE_URL differs from ${facts.name}'s (a relay publishes its service's outbox)`,
    );
  return problems;
}

/** kafka-init provisions from the generated access file. */
function checkKafkaInit(model: ComposeModel, facts: LintFacts): string[] {
  const init = model.services[KAFKA_INIT];
  if (!init)
    return [
      `service ${KAFKA_INIT} (credentials, topics and ACLs of the broker) is missing from the compose file`,
    ];
  const mounted = (init.volumes ?? []).some(
    (volume) => volume.type === "bind" && volume.source === facts.kafkaAccessFile,
  );
  return mounted
    ? []
    : [`${KAFKA_INIT}: does not mount ${facts.kafkaAccessFile}, the access the contract derives`];
}

/**
 * A service and its relay log in with SASL as the service's own principal, with the password
 * kafka-init gives that principal (its `HERALD_<SERVICE>_KAFKA_PASSWORD`).
 */
function checkKafkaLogin(model: ComposeModel, name: string, facts: LintFacts): string[] {
  const principal = facts.kafkaPrincipalOf(name);
  const variable = `${principal.toUpperCase().replaceAll("-", "_")}_KAFKA_PASSWORD`;
  const provisioned = environment(model.services[KAFKA_INIT] ?? {})[variable];
  const problems: string[] = [];
  for (const container of [name, `${name}-relay`]) {
    const service = model.services[container];
    if (!service) continue;
    const env = environment(service);
    if ((env.KAFKA_SASL_MECHANISM ?? "none") === "none")
      problems.push(
        `${container}: KAFKA_SASL_MECHANISM is not set, but the broker refuses unauthenticated clients`,
      );
    if (env.KAFKA_USERNAME !== principal)
      problems.push(`${container}: KAFKA_USERNAME should be ${principal}, the principal of ${name}`);
    if (provisioned === undefined)
      problems.push(`${container}: ${KAFKA_INIT} sets no ${variable}, so ${principal} has no credential`);
    else if (env.KAFKA_PASSWORD !== provisioned)
      problems.push(`${container}: KAFKA_PASSWORD differs from ${KAFKA_INIT}'s ${variable}`);
  }
  return problems;
}

function environment(service: ComposeService): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(service.environment ?? {})) env[name] = value ?? undefined;
  return env;
}
