import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kafkaConfig } from "@herald/dev-stack";
import { createEventSerde, type DomainEvent } from "@herald/events";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { createConsumer } from "../consumer.js";

/** The effect the crash test counts: one row per handled event (no constraint, so a second application shows). */
export async function recordEffectRow(event: DomainEvent, tx: pg.ClientBase): Promise<void> {
  const orderId = "orderId" in event.data ? (event.data.orderId ?? "") : "";
  await tx.query("INSERT INTO effects (event_id, order_id) VALUES ($1, $2)", [
    event.data.metadata.eventId,
    orderId,
  ]);
}

/**
 * A consumer process that dies (SIGKILL) in its outcome hook at the `CRASH_AFTER`th processed
 * message: the transaction that handled it has committed, its offset is not committed to Kafka yet.
 * Environment: HERALD_TEST_INFRA (the run's infrastructure as JSON), DATABASE_URL, TOPIC, GROUP_ID.
 */
async function crashingConsumer(): Promise<void> {
  const infra = JSON.parse(process.env.HERALD_TEST_INFRA!);
  const crashAfter = Number(process.env.CRASH_AFTER);
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  let processed = 0;
  const consumer = createConsumer({
    kafka: new Kafka({ clientId: "crashing-consumer", ...kafkaConfig(infra), logLevel: logLevel.NOTHING }),
    pool,
    serde: createEventSerde({ registryUrl: infra.schemaRegistryUrl }),
    groupId: process.env.GROUP_ID!,
    topics: [process.env.TOPIC!],
    // The group notices the killed member soon, so the restart does not wait out a 30 s session.
    consumerConfig: { maxWaitTimeInMs: 500, sessionTimeout: 6_000, heartbeatInterval: 500 },
    handle: recordEffectRow,
    hooks: {
      outcome(report) {
        if (report.outcome === "processed" && ++processed === crashAfter)
          process.kill(process.pid, "SIGKILL");
      },
    },
  });
  await consumer.start();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await crashingConsumer();
