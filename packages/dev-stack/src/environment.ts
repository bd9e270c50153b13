import { StackError } from "./errors.js";
import type { Infra } from "./infra.js";
import {
  databaseUrlVariable,
  type KafkaLogin,
  type KafkaMechanism,
  kafkaLoginEnvironment,
} from "./services.js";
import { SERVICE_NAMES, type ServiceName } from "./workspace.js";

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
  const kafkaLogin = kafkaLoginFromEnvironment(env);
  return {
    kafkaBrokers: env.KAFKA_BROKERS.split(",").map((broker) => broker.trim()),
    ...(kafkaLogin ? { kafkaLogin } : {}),
    ...(env.KAFKA_SSL === "true" ? { kafkaSsl: true } : {}),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL!,
    databaseUrls: Object.fromEntries(
      SERVICE_NAMES.map((service) => [service, env[databaseUrlVariable(service)]!]),
    ) as Record<ServiceName, string>,
    smtpUrl: env.SMTP_URL!,
    mailApiUrl: env.MAILDEV_API_URL!,
  };
}

/**
 * What a service's process is told of `infra`: the brokers and their login (TLS when it has it), the
 * schema registry and the SMTP server.
 */
export function brokerEnvironment(infra: Infra): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(","),
    ...kafkaLoginEnvironment(infra.kafkaLogin),
    ...(infra.kafkaSsl ? { KAFKA_SSL: "true" } : {}),
    SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
    SMTP_URL: infra.smtpUrl,
  };
}

/** The environment variables that name `infra`, as `stack:up` prints them for other shells. */
export function infraToEnvironment(infra: Infra): Record<string, string> {
  return {
    ...brokerEnvironment(infra),
    MAILDEV_API_URL: infra.mailApiUrl,
    ...Object.fromEntries(
      SERVICE_NAMES.map((service) => [databaseUrlVariable(service), infra.databaseUrls[service]]),
    ),
  };
}

const MECHANISMS: readonly KafkaMechanism[] = ["scram-sha-512", "scram-sha-256", "plain"];

/** The Kafka login named by KAFKA_SASL_MECHANISM, KAFKA_USERNAME and KAFKA_PASSWORD (none when unset or `none`). */
function kafkaLoginFromEnvironment(env: NodeJS.ProcessEnv): KafkaLogin | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim();
  if (!mechanism || mechanism === "none") return undefined;
  if (!MECHANISMS.includes(mechanism as KafkaMechanism) || !env.KAFKA_USERNAME || !env.KAFKA_PASSWORD) {
    throw new StackError(
      `KAFKA_SASL_MECHANISM is "${mechanism}": it must be one of ${MECHANISMS.join(", ")}, with KAFKA_USERNAME and KAFKA_PASSWORD set`,
      "name the broker's admin login (`herald-stack env` prints the native stack's)",
    );
  }
  return {
    mechanism: mechanism as KafkaMechanism,
    username: env.KAFKA_USERNAME,
    password: env.KAFKA_PASSWORD,
  };
}
