import { type Admin, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import type { Infra } from "./infra.js";
import type { KafkaLogin } from "./services.js";

/**
 * The kafkajs config of `infra`'s brokers with its login (SASL) and TLS: how every test and bench
 * builds a client, `new Kafka(kafkaConfig(infra, { clientId }))`. `login` overrides the infra's
 * (e.g. a service principal, to test what its ACLs allow).
 */
export function kafkaConfig(
  infra: Pick<Infra, "kafkaBrokers" | "kafkaLogin" | "kafkaSsl">,
  extra: Omit<KafkaConfig, "brokers" | "sasl" | "ssl"> & { login?: KafkaLogin | null } = {},
): KafkaConfig {
  const { login: override, ...rest } = extra;
  const login = override === undefined ? infra.kafkaLogin : (override ?? undefined);
  return {
    ...rest,
    brokers: [...infra.kafkaBrokers],
    ...(login
      ? { sasl: { mechanism: login.mechanism, username: login.username, password: login.password } }
      : {}),
    ...(infra.kafkaSsl ? { ssl: true } : {}),
  } as KafkaConfig;
}

/** A silent client of `infra`'s brokers, for a test or a check that reads its own outcome. */
export function quietKafka(
  infra: Pick<Infra, "kafkaBrokers" | "kafkaLogin" | "kafkaSsl">,
  clientId: string,
): Kafka {
  return new Kafka(kafkaConfig(infra, { clientId, logLevel: logLevel.NOTHING }));
}

/** Runs `use` with an admin client of `kafka`, connected for it and disconnected after. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}
