import { StackError } from "./errors.js";
import { databaseUrlVariable, SERVICE_NAMES, type ServiceName } from "./services.js";
import type { Infra } from "./stack.js";

/**
 * Reads infrastructure named by the environment. Returns undefined when KAFKA_BROKERS is unset
 * (the stack is then started natively); once it is set, every other variable must be too.
 */
export function infraFromEnvironment(env: NodeJS.ProcessEnv = process.env): Infra | undefined {
  if (!env.KAFKA_BROKERS) return undefined;
  const names = [
    "SCHEMA_REGISTRY_URL",
    "SMTP_URL",
    "MAILDEV_API_URL",
    ...SERVICE_NAMES.map(databaseUrlVariable),
  ];
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new StackError(
      `KAFKA_BROKERS is set, so the rest of the infrastructure must be named too; missing: ${missing.join(", ")}`,
      "set them, or unset KAFKA_BROKERS to let the tests start the native stack",
    );
  }
  return {
    kafkaBrokers: env.KAFKA_BROKERS.split(",").map((broker) => broker.trim()),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL!,
    databaseUrls: Object.fromEntries(
      SERVICE_NAMES.map((service) => [service, env[databaseUrlVariable(service)]!]),
    ) as Record<ServiceName, string>,
    smtpUrl: env.SMTP_URL!,
    mailApiUrl: env.MAILDEV_API_URL!,
  };
}

/** The environment variables that name `infra`, as `stack:up` prints them for other shells. */
export function infraToEnvironment(infra: Infra): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(","),
    SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
    SMTP_URL: infra.smtpUrl,
    MAILDEV_API_URL: infra.mailApiUrl,
    ...Object.fromEntries(
      SERVICE_NAMES.map((service) => [databaseUrlVariable(service), infra.databaseUrls[service]]),
    ),
  };
}
