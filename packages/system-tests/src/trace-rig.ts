import { createScratchSchema, kafkaConfig, testInfra, uniqueName } from "@herald/dev-stack/testing";
import { outboxMigrations } from "@herald/outbox";
import { Kafka, logLevel } from "kafkajs";
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
  const setup = new pg.Client({ connectionString: scratch.url });
  await setup.connect();
  try {
    for (const migration of outboxMigrations) {
      await setup.query("BEGIN");
      await setup.query(migration.sql);
      await setup.query("COMMIT");
    }
  } finally {
    await setup.end();
  }
  const pool = new pg.Pool({ connectionString: scratch.url, max: 6 });
  pool.on("error", () => {});
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
  const kafka = new Kafka({
    clientId: "trace-test",
    ...kafkaConfig(testInfra()),
    logLevel: logLevel.NOTHING,
  });
  const prefix = `${uniqueName("traced")}.`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: names.map((name) => ({ topic: `${prefix}${name}`, numPartitions: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return {
    kafka,
    prefix,
    async drop() {
      const cleanup = kafka.admin();
      await cleanup.connect();
      try {
        const mine = (await cleanup.listTopics()).filter((topic) => topic.startsWith(prefix));
        await cleanup.deleteTopics({ topics: mine }).catch(() => {});
      } finally {
        await cleanup.disconnect();
      }
    },
  };
}

/** The telemetry settings that send a process's spans to Zipkin every `delayMs`. */
export function tracedEnvironment(delayMs: number): Record<string, string> {
  return {
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
    OTEL_BSP_SCHEDULE_DELAY: String(delayMs),
  };
}
