import type { KafkaConfig } from "kafkajs";
import type { KafkaLogin } from "./services.js";
import type { Infra } from "./stack.js";

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
