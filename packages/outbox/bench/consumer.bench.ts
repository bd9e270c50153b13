import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createScratchSchema, kafkaConfig } from "@herald/dev-stack";
import { type Benchmark, ratio } from "@herald/dev-stack/bench";
import { createEventSerde, type DomainEvent, type EventSerde, keyOf } from "@herald/events";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import pg from "pg";
import { createConsumer } from "../src/consumer.js";
import { HEADERS } from "../src/headers.js";
import { outboxMigrations } from "../src/migrations.js";
import { orderPlaced } from "../src/testing/events.js";

const EVENTS = Number(process.env.BENCH_CONSUMER_EVENTS ?? 20_000);
const PARTITIONS = 3;
const AGGREGATES = 500;
const WRITE = "INSERT INTO bench_writes (event_id, aggregate_key) VALUES ($1, $2)";

interface Measured {
  readonly events: number;
  /** First message handled to the last. */
  readonly seconds: number;
}

/** Resolves with the time the `count`th call of the returned `tick` happened. */
function counter(count: number): { tick: () => void; done: Promise<Measured> } {
  let seen = 0;
  let first = 0;
  let resolve!: (measured: Measured) => void;
  const done = new Promise<Measured>((r) => {
    resolve = r;
  });
  return {
    tick() {
      if (seen === 0) first = performance.now();
      seen += 1;
      if (seen === count) resolve({ events: count, seconds: (performance.now() - first) / 1000 });
    },
    done,
  };
}

async function within<T>(promise: Promise<T>, what: string, ms = 300_000): Promise<T> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`${what} did not finish within ${ms / 1000} s`);
  });
  return Promise.race([promise, timeout]);
}

/**
 * The consumer runtime (chunks of a partition's batch in one transaction: one inbox insert per
 * chunk, the handler's one-row write under a savepoint per message, offsets resolved after the
 * commit) against raw kafkajs `eachBatch` that decodes each message with the same serde and writes
 * the same row in one autocommitted statement, without the inbox. Both read the same backlog of
 * OrderPlaced events (3 partitions) from the start, as new groups, one partition at a time (the
 * runtime's default, as the services run it); the runtime once more with its 3 partitions consumed
 * concurrently. Measured from the first message handled to the last, so joining the group is left out.
 */
export default {
  name: "outbox consumer runtime vs raw kafkajs eachBatch",
  async run({ infra, progress }) {
    const scratch = await createScratchSchema(infra.databaseUrls.order, "consumer_bench");
    const pool = new pg.Pool({ connectionString: scratch.url, max: 10 });
    for (const migration of outboxMigrations) await pool.query(migration.sql);
    await pool.query(
      "CREATE TABLE bench_writes (event_id uuid PRIMARY KEY, aggregate_key text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())",
    );
    const topic = `${scratch.name}.orders`;
    const kafka = new Kafka({
      clientId: "consumer-bench",
      ...kafkaConfig(infra),
      logLevel: logLevel.NOTHING,
    });
    const serde: EventSerde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    /** Stops whatever consumer a failed case left running. */
    const cleanups: (() => Promise<void>)[] = [];
    try {
      progress(`producing ${EVENTS} events`);
      await serde.register();
      const events: DomainEvent[] = Array.from({ length: EVENTS }, (_, i) =>
        orderPlaced(`ord_${i % AGGREGATES}`, i),
      );
      for (let i = 0; i < events.length; i += 1_000) {
        const slice = events.slice(i, i + 1_000);
        await producer.send({
          topic,
          messages: await Promise.all(
            slice.map(async (event) => ({
              key: keyOf(event),
              value: await serde.encode(event),
              headers: { [HEADERS.eventType]: event.type, [HEADERS.eventId]: event.data.metadata.eventId },
            })),
          ),
        });
      }

      async function raw(): Promise<Measured> {
        await pool.query("TRUNCATE bench_writes");
        const done = counter(EVENTS);
        const consumer = kafka.consumer({ groupId: `${scratch.name}.raw`, maxWaitTimeInMs: 1_000 });
        cleanups.push(() => consumer.disconnect());
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            for (const message of batch.messages) {
              const event = await serde.decode(message.value!);
              await pool.query(WRITE, [event.data.metadata.eventId, message.key!.toString()]);
              resolveOffset(message.offset);
              done.tick();
              await heartbeat();
            }
          },
        });
        const measured = await within(done.done, "raw eachBatch");
        await consumer.disconnect();
        return measured;
      }

      async function runtime(partitionsConsumedConcurrently: number): Promise<Measured> {
        await pool.query("TRUNCATE bench_writes");
        const done = counter(EVENTS);
        const consumer = createConsumer({
          kafka,
          pool,
          groupId: `${scratch.name}.runtime-${partitionsConsumedConcurrently}`,
          partitionsConsumedConcurrently,
          topics: [topic],
          serde,
          handle: async (event, tx) => {
            await tx.query(WRITE, [event.data.metadata.eventId, keyOf(event)]);
          },
          hooks: { outcome: (report) => report.outcome === "processed" && done.tick() },
        });
        cleanups.push(() => consumer.stop());
        await consumer.start();
        const measured = await within(done.done, "consumer runtime");
        await consumer.stop();
        return measured;
      }

      progress("raw kafkajs eachBatch");
      const floor = await raw();
      progress("consumer runtime");
      const measured = await runtime(1);
      progress("consumer runtime, partitions concurrently");
      const concurrent = await runtime(PARTITIONS);
      const row = (path: string, result: Measured) => ({
        path,
        events: result.events,
        seconds: Number(result.seconds.toFixed(2)),
        "events/s": Math.round(result.events / result.seconds),
        "vs raw": ratio(result.events / result.seconds, floor.events / floor.seconds),
      });
      return {
        rows: [
          row("raw kafkajs eachBatch (decode + one-row write)", floor),
          row("consumer runtime (inbox + write in one tx)", measured),
          row(`consumer runtime, ${PARTITIONS} partitions concurrently`, concurrent),
        ],
        notes: [
          `consumer runtime at ${Math.round((100 * floor.seconds) / measured.seconds)}% of raw eachBatch; ${EVENTS} events, ${PARTITIONS} partitions, one partition at a time, pool of 10`,
        ],
      };
    } finally {
      for (const cleanup of cleanups) await cleanup().catch(() => {});
      await producer.disconnect();
      const deadLetterTopics = [1, PARTITIONS].map((n) => `${scratch.name}.runtime-${n}.dlq`);
      await admin.deleteTopics({ topics: [topic, ...deadLetterTopics] }).catch(() => {});
      await admin.disconnect();
      await pool.end();
      await scratch.drop().catch(() => {});
    }
  },
} satisfies Benchmark;
