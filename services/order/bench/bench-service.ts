import { createScratchSchema, type Infra, kafkaLoginEnvironment } from "@herald/dev-stack";
import { createServiceContext } from "@herald/service-kit";
import { pino } from "pino";
import { orderService } from "../src/service.js";

/** Where the benchmarks' orders ship to. */
export const BENCH_ADDRESS = {
  recipientName: "Bench",
  line1: "1 Loop Rd",
  city: "Berlin",
  postalCode: "10115",
  country: "DE",
} as const;

/**
 * The Order service's context on a scratch schema of its own (named after `name`), against the
 * stack's Kafka and registry, with `env` on top of those settings and a silent logger. The caller
 * drops the schema when done.
 */
export async function benchServiceContext(infra: Infra, name: string, env: Record<string, string> = {}) {
  const scratch = await createScratchSchema(infra.databaseUrls.order, name);
  const context = createServiceContext(orderService, {
    env: {
      DATABASE_URL: scratch.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(","),
      ...kafkaLoginEnvironment(infra.kafkaLogin),
      SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
      ...env,
    },
    logger: pino({ level: "silent" }),
  });
  return { scratch, context };
}
