import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createScratchSchema } from "@herald/dev-stack";
import { type Benchmark, percentile } from "@herald/dev-stack/bench";
import { createEventSerde, type DomainEvent, type EventSerde, keyOf } from "@herald/events";
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import pg from "pg";
import { enqueue, enqueueAll } from "../src/enqueue.js";
import { HEADERS } from "../src/headers.js";
import { outboxMigrations } from "../src/migrations.js";
import { createRelay } from "../src/relay.js";
import { orderPlaced } from "../src/testing/events.js";

const LOADS = [500, 1_000, 2_000];
const SECONDS_PER_LOAD = 10;
const DRAIN_EVENTS = 20_000;
const TICK_MS = 10;
const AGGREGATES = 200;

interface Measured {
  readonly events: number;
  /** Events committed (raw: handed to the producer) per second: the load actually offered. */
  readonly sourceRate: number;
  /** First send (or commit) to last acknowledgement. */
  readonly seconds: number;
  /** Milliseconds from commit (raw: from handing the message to the producer) to Kafka's ack. */
  readonly latencies: number[];
}

function row(kind: string, offered: number | string, measured: Measured): Record<string, string | number> {
  const sorted = [...measured.latencies].sort((a, b) => a - b);
  return {
    case: kind,
    "offered ev/s": offered,
    "source ev/s": Number.isNaN(measured.sourceRate) ? "-" : Math.round(measured.sourceRate),
    events: measured.events,
    "achieved ev/s": Math.round(measured.events / measured.seconds),
    "p50 ms": Number(percentile(sorted, 50).toFixed(1)),
    "p99 ms": Number(percentile(sorted, 99).toFixed(1)),
    "max ms": Number((sorted[sorted.length - 1] ?? 0).toFixed(1)),
  };
}

/** Calls `emit(n)` every tick with the number of events due so far at `rate` per second, for `seconds`. */
async function paced(rate: number, seconds: number, emit: (count: number) => void): Promise<void> {
  const start = performance.now();
  let emitted = 0;
  const total = rate * seconds;
  while (emitted < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due > emitted) {
      emit(due - emitted);
      emitted = due;
    }
    await sleep(TICK_MS);
  }
}

function message(event: DomainEvent, value: Buffer): Message {
  return {
    key: keyOf(event),
    value,
    headers: {
      [HEADERS.eventType]: event.type,
      [HEADERS.eventId]: event.data.metadata.eventId,
      [HEADERS.correlationId]: event.data.metadata.correlationId,
    },
  };
}

/** Waits until every id is acknowledged; a relay that stalls fails the benchmark instead of hanging it. */
async function allAcked(ids: readonly string[], acked: ReadonlyMap<string, number>): Promise<number> {
  const deadline = performance.now() + 120_000;
  while (!ids.every((id) => acked.has(id))) {
    if (performance.now() > deadline)
      throw new Error("the relay did not publish every event within 2 minutes");
    await sleep(20);
  }
  return Math.max(...ids.map((id) => acked.get(id)!));
}

const events = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => orderPlaced(`ord_${(offset + i) % AGGREGATES}`, offset + i));

/**
 * The relay against a raw kafkajs producer (idempotent, acks all, the same Avro bytes, keys and
 * headers), in one run: at fixed offered loads (each event its own transaction for the relay; the
 * raw producer sends each tick's events in one request), then draining a backlog as fast as possible.
 */
export default {
  name: "outbox relay vs raw kafkajs producer",
  async run({ infra }) {
    const scratch = await createScratchSchema(infra.databaseUrls.order, "outbox_bench");
    const pool = new pg.Pool({ connectionString: scratch.url, max: 16 });
    const setup = await pool.connect();
    for (const migration of outboxMigrations) {
      await setup.query("BEGIN");
      await setup.query(migration.sql);
      await setup.query("COMMIT");
    }
    setup.release();
    const prefix = `${scratch.name}.`;
    const kafka = new Kafka({
      clientId: "outbox-bench",
      brokers: [...infra.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    });
    const serde: EventSerde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [`${prefix}orders`, `${prefix}raw`].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    await serde.register();

    const committedAt = new Map<string, number>();
    const ackedAt = new Map<string, number>();
    const relay = createRelay({
      pool,
      kafka,
      serde,
      topicName: (topic) => `${prefix}${topic}`,
      hooks: {
        published: ({ events: batch }) => {
          const now = performance.now();
          for (const event of batch) if (!ackedAt.has(event.eventId)) ackedAt.set(event.eventId, now);
        },
      },
    });
    const raw = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await raw.connect();

    async function relayAt(rate: number, seconds: number, offset: number): Promise<Measured> {
      const batch = events(rate * seconds, offset);
      const writes: Promise<void>[] = [];
      let next = 0;
      const started = performance.now();
      await paced(rate, seconds, (count) => {
        for (const event of batch.slice(next, next + count)) {
          writes.push(
            (async () => {
              const client = await pool.connect();
              try {
                await client.query("BEGIN");
                await enqueue(client, event);
                await client.query("COMMIT");
                committedAt.set(event.data.metadata.eventId, performance.now());
              } finally {
                client.release();
              }
            })(),
          );
        }
        next += count;
      });
      await Promise.all(writes);
      const ids = batch.map((event) => event.data.metadata.eventId);
      const lastCommit = Math.max(...ids.map((id) => committedAt.get(id)!));
      const lastAck = await allAcked(ids, ackedAt);
      return {
        events: ids.length,
        sourceRate: ids.length / ((lastCommit - started) / 1000),
        seconds: (lastAck - started) / 1000,
        latencies: ids.map((id) => Math.max(0, ackedAt.get(id)! - committedAt.get(id)!)),
      };
    }

    async function rawAt(rate: number, offset: number): Promise<Measured> {
      const batch = events(rate * SECONDS_PER_LOAD, offset);
      const values = await Promise.all(batch.map((event) => serde.encode(event)));
      const latencies: number[] = [];
      const sends: Promise<void>[] = [];
      let next = 0;
      let lastAck = 0;
      const started = performance.now();
      await paced(rate, SECONDS_PER_LOAD, (count) => {
        const messages = batch.slice(next, next + count).map((event, i) => message(event, values[next + i]!));
        next += count;
        const handedAt = performance.now();
        sends.push(
          raw.send({ topic: `${prefix}raw`, acks: -1, messages }).then(() => {
            lastAck = performance.now();
            for (let i = 0; i < messages.length; i++) latencies.push(lastAck - handedAt);
          }),
        );
      });
      const lastHanded = performance.now();
      await Promise.all(sends);
      return {
        events: batch.length,
        sourceRate: batch.length / ((lastHanded - started) / 1000),
        seconds: (lastAck - started) / 1000,
        latencies,
      };
    }

    async function relayDrain(offset: number): Promise<Measured> {
      await relay.stop();
      const batch = events(DRAIN_EVENTS, offset);
      for (let i = 0; i < batch.length; i += 500) {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          await enqueueAll(client, batch.slice(i, i + 500));
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      }
      const started = performance.now();
      await relay.start();
      const ids = batch.map((event) => event.data.metadata.eventId);
      const lastAck = await allAcked(ids, ackedAt);
      return {
        events: ids.length,
        sourceRate: Number.NaN,
        seconds: (lastAck - started) / 1000,
        latencies: ids.map((id) => ackedAt.get(id)! - started),
      };
    }

    async function rawDrain(offset: number): Promise<Measured> {
      const batch = events(DRAIN_EVENTS, offset);
      const values = await Promise.all(batch.map((event) => serde.encode(event)));
      const started = performance.now();
      const latencies: number[] = [];
      // The same shape as the relay's work: one request of up to 500 messages at a time.
      for (let i = 0; i < batch.length; i += 500) {
        await raw.send({
          topic: `${prefix}raw`,
          acks: -1,
          messages: batch.slice(i, i + 500).map((event, j) => message(event, values[i + j]!)),
        });
        const now = performance.now() - started;
        for (let j = i; j < Math.min(batch.length, i + 500); j++) latencies.push(now);
      }
      return {
        events: batch.length,
        sourceRate: Number.NaN,
        seconds: (performance.now() - started) / 1000,
        latencies,
      };
    }

    const rows: Record<string, string | number>[] = [];
    const notes: string[] = [];
    try {
      await relay.start();
      // Warm-up, not measured: connections, topic metadata, schema ids, JIT.
      await relayAt(200, 2, 0);
      let offset = 400;
      for (const rate of LOADS) {
        const relayed = await relayAt(rate, SECONDS_PER_LOAD, offset);
        offset += rate * SECONDS_PER_LOAD;
        const direct = await rawAt(rate, offset);
        offset += rate * SECONDS_PER_LOAD;
        rows.push(row("relay", rate, relayed), row("raw kafkajs", rate, direct));
        const relayRate = relayed.events / relayed.seconds;
        notes.push(
          `${rate} ev/s offered: relay ${Math.round(relayRate)} ev/s = ${((100 * relayRate) / relayed.sourceRate).toFixed(0)}% of what its writers committed (${Math.round(relayed.sourceRate)} ev/s), ${((100 * relayRate) / (direct.events / direct.seconds)).toFixed(0)}% of raw`,
        );
      }
      const drainedByRelay = await relayDrain(offset);
      offset += DRAIN_EVENTS;
      const drainedRaw = await rawDrain(offset);
      rows.push(
        row("relay (backlog drain)", "max", drainedByRelay),
        row("raw kafkajs (back to back)", "max", drainedRaw),
      );
      notes.push(
        `backlog drain: relay ${Math.round(drainedByRelay.events / drainedByRelay.seconds)} ev/s = ${((100 * drainedRaw.seconds) / drainedByRelay.seconds).toFixed(0)}% of raw; drain rows' latency columns are time since the drain started`,
        "relay latency: client-observed COMMIT to Kafka ack of the relay's batch; raw: send() call to its ack",
      );
    } finally {
      await relay.stop();
      await raw.disconnect();
      await admin.deleteTopics({ topics: [`${prefix}orders`, `${prefix}raw`] }).catch(() => {});
      await admin.disconnect();
      await pool.end();
      await scratch.drop().catch(() => {});
    }
    return { rows, notes };
  },
} satisfies Benchmark;
