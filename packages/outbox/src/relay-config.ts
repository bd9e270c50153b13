import { OutboxError } from "./errors.js";

/** A SASL login to Kafka, as kafkajs takes it. */
export interface KafkaSasl {
  readonly mechanism: "scram-sha-512" | "scram-sha-256" | "plain";
  readonly username: string;
  readonly password: string;
}

const SASL_MECHANISMS: readonly string[] = ["scram-sha-512", "scram-sha-256", "plain"];

/** The development passwords of the dev stack's Kafka principals (`herald-<name>-dev`). */
export function isDevelopmentKafkaPassword(password: string): boolean {
  return /^herald-[a-z]+-dev$/.test(password);
}

/**
 * The Kafka login named by KAFKA_SASL_MECHANISM (none, or unset: PLAINTEXT), KAFKA_USERNAME,
 * KAFKA_PASSWORD and KAFKA_SSL, as the services read them; what is wrong goes to `problems`.
 */
export function kafkaLoginFromEnvironment(
  env: NodeJS.ProcessEnv,
  problems: string[],
): { sasl: KafkaSasl | undefined; ssl: boolean } {
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim() || "none";
  const ssl = (env.KAFKA_SSL?.trim() || "false") === "true";
  if (!["false", "true"].includes(env.KAFKA_SSL?.trim() || "false"))
    problems.push("KAFKA_SSL must be true or false");
  if (mechanism === "none") return { sasl: undefined, ssl };
  if (!SASL_MECHANISMS.includes(mechanism)) {
    problems.push(`KAFKA_SASL_MECHANISM must be none or one of ${SASL_MECHANISMS.join(", ")}`);
    return { sasl: undefined, ssl };
  }
  const username = env.KAFKA_USERNAME?.trim() ?? "";
  const password = env.KAFKA_PASSWORD ?? "";
  if (!username || !password)
    problems.push(`KAFKA_SASL_MECHANISM is ${mechanism}, so KAFKA_USERNAME and KAFKA_PASSWORD must be set`);
  return { sasl: { mechanism: mechanism as KafkaSasl["mechanism"], username, password }, ssl };
}

/** The relay process's settings, read once from the environment. */
export interface RelayProcessConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly clientId: string;
  /** The relay's Kafka login (its service's principal); undefined for a PLAINTEXT broker. */
  readonly kafkaSasl: KafkaSasl | undefined;
  readonly kafkaSsl: boolean;
  /** HERALD_ENV=production: schemas are only looked up (registering them is a deploy step). */
  readonly production: boolean;
  /** Prepended to every Kafka topic name (e.g. `staging.`); empty by default. */
  readonly topicPrefix: string;
  readonly batchSize: number | undefined;
  /** Serves `GET /metrics` (Prometheus) on this port when set. */
  readonly metricsPort: number | undefined;
}

/**
 * DATABASE_URL, KAFKA_BROKERS and SCHEMA_REGISTRY_URL are required; the service's Kafka login
 * (KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL), HERALD_ENV, RELAY_CLIENT_ID,
 * RELAY_TOPIC_PREFIX, RELAY_BATCH_SIZE and RELAY_METRICS_PORT are optional. Throws
 * OUTBOX_INVALID_OPTIONS naming every bad variable; in production also for an unauthenticated
 * Kafka client or a development Kafka password.
 */
export function relayConfigFromEnvironment(env: NodeJS.ProcessEnv): RelayProcessConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? "";
  };
  const integer = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return undefined;
    }
    return value;
  };
  const databaseUrl = required("DATABASE_URL");
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push("DATABASE_URL must be a postgres:// URL");
  const kafkaBrokers = required("KAFKA_BROKERS")
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  const schemaRegistryUrl = required("SCHEMA_REGISTRY_URL");
  if (schemaRegistryUrl && !/^https?:\/\//.test(schemaRegistryUrl))
    problems.push("SCHEMA_REGISTRY_URL must be an http(s) URL");
  const { sasl, ssl } = kafkaLoginFromEnvironment(env, problems);
  const herald = env.HERALD_ENV?.trim() || "development";
  if (herald !== "development" && herald !== "production")
    problems.push("HERALD_ENV must be development or production");
  const production = herald === "production";
  if (production && !sasl) problems.push("production refuses KAFKA_SASL_MECHANISM none (set scram-sha-512)");
  if (production && sasl && isDevelopmentKafkaPassword(sasl.password))
    problems.push("production refuses the development KAFKA_PASSWORD");
  const config: RelayProcessConfig = {
    databaseUrl,
    kafkaBrokers,
    schemaRegistryUrl,
    clientId: env.RELAY_CLIENT_ID?.trim() || "herald-outbox-relay",
    kafkaSasl: sasl,
    kafkaSsl: ssl,
    production,
    topicPrefix: env.RELAY_TOPIC_PREFIX?.trim() ?? "",
    batchSize: integer("RELAY_BATCH_SIZE", 1, 10_000),
    metricsPort: integer("RELAY_METRICS_PORT", 1, 65_535),
  };
  if (problems.length > 0)
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", `relay configuration: ${problems.join("; ")}`);
  return Object.freeze(config);
}
