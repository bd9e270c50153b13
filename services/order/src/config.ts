import { type ConfigOf, env, LOG_LEVELS, loadConfig } from "@herald/service-kit";

/** Every setting of the Order service; `.env.example` documents each with its development default. */
export const configSpec = {
  PORT: env.port({ description: "HTTP port", default: 3001 }),
  HOST: env.string({ description: "interface to listen on", default: "0.0.0.0" }),
  DATABASE_URL: env.url({
    description: "the Order service's own Postgres database",
    protocols: ["postgres:", "postgresql:"],
    secret: true,
  }),
  KAFKA_BROKERS: env.list({ description: "Kafka bootstrap brokers, host:port,...", item: /^[^\s:]+:\d+$/ }),
  SCHEMA_REGISTRY_URL: env.url({
    description: "Confluent-API schema registry",
    protocols: ["http:", "https:"],
  }),
  LOG_LEVEL: env.oneOf(LOG_LEVELS, { description: "pino log level", default: "info" }),
  RELAY_MODE: env.oneOf(["in-process", "external"], {
    description:
      "in-process runs the outbox relay inside this service; external leaves it to the relay process",
    default: "in-process",
  }),
};

export type OrderConfig = ConfigOf<typeof configSpec>;

export function loadOrderConfig(source: NodeJS.ProcessEnv = process.env): OrderConfig {
  return loadConfig(configSpec, source);
}
