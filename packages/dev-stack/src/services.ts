import type { ServiceName } from "./workspace.js";

/** Each service owns exactly one database, reachable only by its own role. */

export interface DatabaseLogin {
  readonly database: string;
  readonly role: string;
  /** Development default only; deployments inject their own secret. */
  readonly password: string;
}

export function databaseLogin(owner: ServiceName | "registry"): DatabaseLogin {
  const name = `herald_${owner}`;
  return { database: name, role: name, password: `${name}_dev` };
}

export function databaseUrl(login: DatabaseLogin, host: string, port: number): string {
  return `postgres://${login.role}:${login.password}@${host}:${port}/${login.database}`;
}

/** `order` → `ORDER_DATABASE_URL`, the variable tests and `stack:up` use per service. */
export function databaseUrlVariable(service: ServiceName): string {
  return `${service.toUpperCase()}_DATABASE_URL`;
}

export type KafkaMechanism = "scram-sha-512" | "scram-sha-256" | "plain";

/** A SASL login to Kafka. */
export interface KafkaLogin {
  readonly mechanism: KafkaMechanism;
  readonly username: string;
  /** Development default only; deployments inject their own secret. */
  readonly password: string;
}

/**
 * The broker's super user, for provisioning (SCRAM credentials, topics, ACLs), tests and benches.
 * Development default only.
 */
export const KAFKA_ADMIN_LOGIN: KafkaLogin = {
  mechanism: "scram-sha-512",
  username: "herald-admin",
  password: "herald-admin-dev",
};

/** The broker's own principal (controller and inter-broker listeners, PLAIN). Development default only. */
export const KAFKA_BROKER_LOGIN: KafkaLogin = {
  mechanism: "plain",
  username: "herald-broker",
  password: "herald-broker-dev",
};

/** A service's own Kafka principal, `herald-<service>`; its ACLs come from `kafkaGrants` (kafka-access.ts). */
export function kafkaLogin(service: ServiceName): KafkaLogin {
  return { mechanism: "scram-sha-512", username: `herald-${service}`, password: `herald-${service}-dev` };
}

/** The variables a service (or relay) reads its Kafka login from. */
export function kafkaLoginEnvironment(login: KafkaLogin | undefined): Record<string, string> {
  if (!login) return { KAFKA_SASL_MECHANISM: "none" };
  return {
    KAFKA_SASL_MECHANISM: login.mechanism,
    KAFKA_USERNAME: login.username,
    KAFKA_PASSWORD: login.password,
  };
}
