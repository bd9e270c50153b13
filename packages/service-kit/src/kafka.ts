import {
  type ConsumerHooks,
  isDevelopmentKafkaPassword,
  quietIdleKafkaConnections,
  type RelayHooks,
} from "@herald/outbox";
import { Kafka, type logCreator, logLevel, type SASLOptions } from "kafkajs";
import type { Logger } from "pino";
import { env } from "./config.js";
import { ServiceKitError } from "./errors.js";

export const KAFKA_SASL_MECHANISMS = ["none", "scram-sha-512", "scram-sha-256", "plain"] as const;

/** How a service authenticates to Kafka; spread into {@link serviceConfigSpec}. */
export function kafkaConfigSpec() {
  return {
    KAFKA_SASL_MECHANISM: env.oneOf(KAFKA_SASL_MECHANISMS, {
      description:
        "SASL mechanism of the service's Kafka principal; none (PLAINTEXT) is for a local broker only and refused in production",
      default: "none",
    }),
    KAFKA_USERNAME: env.string({
      description: "the service's Kafka principal (SASL user name)",
      default: "",
    }),
    KAFKA_PASSWORD: env.string({ description: "the Kafka principal's password", default: "", secret: true }),
    KAFKA_SSL: env.oneOf(["false", "true"], {
      description: "true: TLS to the brokers (SASL_SSL), what any network beyond loopback needs",
      default: "false",
    }),
  };
}

export interface KafkaSettings {
  readonly KAFKA_SASL_MECHANISM: (typeof KAFKA_SASL_MECHANISMS)[number];
  readonly KAFKA_USERNAME: string;
  readonly KAFKA_PASSWORD: string;
  readonly KAFKA_SSL: "false" | "true";
}

/** Throws SERVICE_CONFIG_INVALID when a SASL mechanism is set without its user name and password. */
export function assertKafkaSettings(settings: KafkaSettings): void {
  if (settings.KAFKA_SASL_MECHANISM === "none") return;
  const missing = (["KAFKA_USERNAME", "KAFKA_PASSWORD"] as const).filter((name) => settings[name] === "");
  if (missing.length > 0)
    throw new ServiceKitError(
      "SERVICE_CONFIG_INVALID",
      `invalid configuration: KAFKA_SASL_MECHANISM is ${settings.KAFKA_SASL_MECHANISM}, so ${missing.join(" and ")} must be set`,
    );
}

/** Why these Kafka settings cannot run in production: an unauthenticated client or a development password. */
export function kafkaProductionProblems(settings: KafkaSettings): string[] {
  if (settings.KAFKA_SASL_MECHANISM === "none")
    return ["KAFKA_SASL_MECHANISM is none: the broker must authenticate its clients (set scram-sha-512)"];
  if (isDevelopmentKafkaPassword(settings.KAFKA_PASSWORD))
    return ["KAFKA_PASSWORD is a development default (inject the principal's own secret)"];
  return [];
}

/** The kafkajs `sasl` and `ssl` options of these settings. */
export function kafkaAuthentication(settings: KafkaSettings): { sasl?: SASLOptions; ssl?: boolean } {
  return {
    ...(settings.KAFKA_SASL_MECHANISM === "none"
      ? {}
      : {
          sasl: {
            mechanism: settings.KAFKA_SASL_MECHANISM,
            username: settings.KAFKA_USERNAME,
            password: settings.KAFKA_PASSWORD,
          } as SASLOptions,
        }),
    ...(settings.KAFKA_SSL === "true" ? { ssl: true } : {}),
  };
}

/** A kafkajs client that logs through pino (warnings and errors unless the service logs at debug). */
export function createKafka(options: {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** SASL and TLS ({@link kafkaAuthentication}); none for a PLAINTEXT broker. */
  sasl?: SASLOptions;
  ssl?: boolean;
}): Kafka {
  const verbose = ["debug", "trace"].includes(options.logger.level);
  const logger = options.logger.child({ component: "kafkajs" });
  const toPino: logCreator =
    () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const method =
        level === logLevel.ERROR
          ? "error"
          : level === logLevel.WARN
            ? "warn"
            : level === logLevel.INFO
              ? "info"
              : "debug";
      logger[method]({ namespace, ...extra }, message);
    };
  quietIdleKafkaConnections();
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.sasl ? { sasl: options.sasl } : {}),
    ...(options.ssl ? { ssl: options.ssl } : {}),
    logLevel: verbose ? logLevel.INFO : logLevel.WARN,
    logCreator: toPino,
  });
}

/** Logs what a consumer does with each message: retries and dead letters loudly, the rest at debug. */
export function consumerLogHooks(logger: Logger): ConsumerHooks {
  return {
    outcome(report) {
      const fields = {
        outcome: report.outcome,
        topic: report.topic,
        partition: report.partition,
        offset: report.offset,
        attempt: report.attempt,
        type: report.event?.type,
        eventId: report.event?.data.metadata.eventId,
        correlationId: report.event?.data.metadata.correlationId,
        code: report.error?.code,
      };
      if (report.outcome === "dead_lettered")
        logger.error({ ...fields, err: report.error }, "message dead-lettered");
      else if (report.outcome === "retried")
        logger.warn({ ...fields, err: report.error }, "message will be retried");
      else logger.debug(fields, `message ${report.outcome}`);
    },
    error(error) {
      logger.error({ err: error, code: error.code }, "consumer failed");
    },
  };
}

/** Logs what an in-process relay does: cycles that fail, buckets that move, partitions maintained. */
export function relayLogHooks(logger: Logger): RelayHooks {
  return {
    published: ({ events }) => logger.debug({ count: events.length }, "events published"),
    error: (error) => logger.warn({ err: error, code: error.code }, "relay cycle failed; retrying"),
    bucketsChanged: (buckets) => logger.info({ buckets }, "relay buckets changed"),
    maintained: (result) => logger.info(result, "outbox partitions maintained"),
    parked: (park) =>
      logger.error(
        park,
        "outbox row cannot be encoded: its aggregate is parked until an operator retries or skips it",
      ),
    unparked: (release) => logger.info(release, "parked aggregate released"),
    rewound: (rewind) =>
      logger.warn(rewind, "outbox ids went backwards: republishing what the outbox holds for these buckets"),
  };
}
