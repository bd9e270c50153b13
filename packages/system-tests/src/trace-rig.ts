import { createScratchSchema, quietKafka, testInfra, uniqueName, withAdmin } from "@herald/dev-stack/testing";
import { outboxMigrations } from "@herald/outbox";
import { runMigrations } from "@herald/service-kit";
import type { Kafka } from "kafkajs";
import pg from "pg";
import { zipkin } from "./trace-zipkin.js";

// What the outbox trace tests set up on the run's real infrastructure: an outbox schema and topics
// of their own, and the environment that sends a process's spans to the e2e tier's Zipkin.

/** A scratch schema in the order service's database with the outbox's tables (outbox, inbox, parked keys). */
export async function scratchOutbox(prefix: string): Promise<{
  readonly pool: pg.Pool;
  readonly url: string;
  drop(): Promise<void>;
}> {
  const scratch = await createScratchSchema(testInfra().databaseUrls.order, prefix);
  const pool = new pg.Pool({ connectionString: scratch.url, max: 6 });
  pool.on("error", () => {});
  await runMigrations(pool, outboxMigrations);
  return {
    pool,
    url: scratch.url,
    async drop() {
      await pool.end();
      await scratch.drop().catch(() => {});
    },
  };
}

/** A Kafka client of the run's broker, and topics under a fresh prefix that `drop` deletes. */
export async function scratchTopics(
  names: readonly string[],
): Promise<{ kafka: Kafka; prefix: string; drop(): Promise<void> }> {
  const kafka = quietKafka(testInfra(), "trace-test");
  const prefix = `${uniqueName("traced")}.`;
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      topics: names.map((name) => ({ topic: `${prefix}${name}`, numPartitions: 1 })),
      waitForLeaders: true,
    }),
  );
  return {
    kafka,
    prefix,
    drop: () =>
      withAdmin(kafka, async (admin) => {
        const mine = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        await admin.deleteTopics({ topics: mine }).catch(() => {});
      }),
  };
}

/** The telemetry settings that send a process's spans to Zipkin every `delayMs`. */
export function tracedEnvironment(delayMs: number): Record<string, string> {
  return {
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
    OTEL_BSP_SCHEDULE_DELAY: String(delayMs),
  };
}
