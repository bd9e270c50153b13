import { OutboxError } from "./errors.js";

/** The relay process's settings, read once from the environment. */
export interface RelayProcessConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly clientId: string;
  /** Prepended to every Kafka topic name (e.g. `staging.`); empty by default. */
  readonly topicPrefix: string;
  readonly batchSize: number | undefined;
  /** Serves `GET /metrics` (Prometheus) on this port when set. */
  readonly metricsPort: number | undefined;
}

/**
 * DATABASE_URL, KAFKA_BROKERS and SCHEMA_REGISTRY_URL are required; RELAY_CLIENT_ID,
 * RELAY_TOPIC_PREFIX, RELAY_BATCH_SIZE and RELAY_METRICS_PORT are optional. Throws
 * OUTBOX_INVALID_OPTIONS naming every bad variable.
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
  const config: RelayProcessConfig = {
    databaseUrl,
    kafkaBrokers,
    schemaRegistryUrl,
    clientId: env.RELAY_CLIENT_ID?.trim() || "herald-outbox-relay",
    topicPrefix: env.RELAY_TOPIC_PREFIX?.trim() ?? "",
    batchSize: integer("RELAY_BATCH_SIZE", 1, 10_000),
    metricsPort: integer("RELAY_METRICS_PORT", 1, 65_535),
  };
  if (problems.length > 0)
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", `relay configuration: ${problems.join("; ")}`);
  return Object.freeze(config);
}
