import type { ConsumerHooks, RelayHooks } from "@herald/outbox";
import { Kafka, type logCreator, logLevel } from "kafkajs";
import type { Logger } from "pino";

/** A kafkajs client that logs through pino (warnings and errors unless the service logs at debug). */
export function createKafka(options: {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
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
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
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
