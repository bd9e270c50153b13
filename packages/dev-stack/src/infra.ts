import type { KafkaLogin } from "./services.js";
import type { ServiceName } from "./workspace.js";

// On its own so that what the stack starts (the broker, the service processes) and what reads
// where it runs (the Kafka client, the environment) need not import the stack itself.

/** Where every piece of infrastructure is reached; the same shape whether started here or given. */
export interface Infra {
  readonly kafkaBrokers: readonly string[];
  /** The login tests, benches and provisioning use (the broker's admin); none for a PLAINTEXT broker. */
  readonly kafkaLogin?: KafkaLogin;
  /** TLS to the brokers. */
  readonly kafkaSsl?: boolean;
  readonly schemaRegistryUrl: string;
  readonly databaseUrls: Readonly<Record<ServiceName, string>>;
  readonly smtpUrl: string;
  /** MailDev's REST API (`GET /email`, `DELETE /email/all`). */
  readonly mailApiUrl: string;
}
