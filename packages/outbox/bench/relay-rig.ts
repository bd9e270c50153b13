import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createScratchSchema, type Infra, kafkaConfig, type ScratchSchema } from "@herald/dev-stack";
import { percentile } from "@herald/dev-stack/bench";
import { createEventSerde, type DomainEvent, type EventSerde } from "@herald/events";
import { type Admin, Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { enqueue, enqueueAll } from "../src/enqueue.js";
import { outboxMigrations } from "../src/migrations.js";
import { createRelay, type Relay, type RelayOptions } from "../src/relay.js";
import { orderPlaced } from "../src/testing/events.js";

const TICK_MS = 10;
const AGGREGATES = 200;

export interface Measured {
  readonly events: number;
  /** Events committed (raw: handed to the producer) per second: the load actually offered. */
  readonly sourceRate: number;
  /** First send (or commit) to last acknowledgement. */
  readonly seconds: number;
  /** Milliseconds from commit (raw: from handing the message to the producer) to Kafka's ack. */
  readonly latencies: number[];
}

export function row(
  kind: string,
  offered: number | string,
  measured: Measured,
): Record<string, string | number> {
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
export async function paced(rate: number, seconds: number, emit: (count: number) => void): Promise<void> {
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

/**
 * Acknowledgement times by event id, and waits for sets of them. Waiting costs nothing while the
 * relay works (a scan of the ids on a timer would take CPU from the relay it measures).
 */
function ackTracker() {
  const ackedAt = new Map<string, number>();
  const waits = new Set<{ pending: Set<string>; done: () => void }>();
  return {
    ackedAt: ackedAt as ReadonlyMap<string, number>,
    acked(eventId: string, at: number): void {
      if (ackedAt.has(eventId)) return;
      ackedAt.set(eventId, at);
      for (const wait of waits) if (wait.pending.delete(eventId) && wait.pending.size === 0) wait.done();
    },
    /** Resolves with the last ack time once every id is acknowledged; a relay that stalls fails the benchmark. */
    async all(ids: readonly string[]): Promise<number> {
      const pending = new Set(ids.filter((id) => !ackedAt.has(id)));
      if (pending.size > 0) {
        let wait!: { pending: Set<string>; done: () => void };
        const finished = new Promise<void>((resolve) => {
          wait = { pending, done: resolve };
          waits.add(wait);
        });
        const timer = sleep(120_000, undefined, { ref: false }).then(() => {
          throw new Error("the relay did not publish every event within 2 minutes");
        });
        try {
          await Promise.race([finished, timer]);
        } finally {
          waits.delete(wait);
        }
      }
      return Math.max(...ids.map((id) => ackedAt.get(id)!));
    },
  };
}

export const events = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => orderPlaced(`ord_${(offset + i) % AGGREGATES}`, offset + i));

/** A relay on a scratch outbox of its own, publishing to topics prefixed with the scratch schema's name. */
export interface RelayRig {
  readonly scratch: ScratchSchema;
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly serde: EventSerde;
  readonly relay: Relay;
  /** `<scratch>.`: the prefix of this rig's topics. */
  readonly prefix: string;
  /** Writers commit `rate` events per second (one transaction each) for `seconds`; commit → ack. */
  relayAt(rate: number, seconds: number, offset: number): Promise<Measured>;
  /** Commits `count` events in one transaction in front of the running relay and times the drain. */
  relayDrain(count: number, offset: number): Promise<Measured>;
  close(): Promise<void>;
}

export async function createRelayRig(
  infra: Infra,
  name: string,
  options: Partial<RelayOptions> = {},
): Promise<RelayRig> {
  const scratch = await createScratchSchema(infra.databaseUrls.order, name);
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
    ...kafkaConfig(infra),
    logLevel: logLevel.NOTHING,
  });
  const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [`${prefix}orders`, `${prefix}raw`].map((topic) => ({ topic, numPartitions: 3 })),
    waitForLeaders: true,
  });
  await serde.register();

  const committedAt = new Map<string, number>();
  const acks = ackTracker();
  const { ackedAt } = acks;
  const relay = createRelay({
    pool,
    kafka,
    serde,
    topicName: (topic) => `${prefix}${topic}`,
    ...options,
    hooks: {
      published: ({ events: batch }) => {
        const now = performance.now();
        for (const event of batch) acks.acked(event.eventId, now);
      },
    },
  });

  return {
    scratch,
    pool,
    kafka,
    admin,
    serde,
    relay,
    prefix,
    async relayAt(rate, seconds, offset) {
      const batch = events(rate * seconds, offset);
      const writes: Promise<void>[] = [];
      let next = 0;
      const started = performance.now();
      await paced(rate, seconds, (count) => {
        for (const event of batch.slice(next, next + count)) writes.push(commitOne(event));
        next += count;
      });
      await Promise.all(writes);
      const ids = batch.map((event) => event.data.metadata.eventId);
      const lastCommit = Math.max(...ids.map((id) => committedAt.get(id)!));
      const lastAck = await acks.all(ids);
      return {
        events: ids.length,
        sourceRate: ids.length / ((lastCommit - started) / 1000),
        seconds: (lastAck - started) / 1000,
        latencies: ids.map((id) => Math.max(0, ackedAt.get(id)! - committedAt.get(id)!)),
      };
    },
    async relayDrain(count, offset) {
      // The backlog appears at once in front of a running relay: one transaction commits it all.
      // (Stopping and restarting the relay around it would time its start-up, not the drain.)
      const batch = events(count, offset);
      const client = await pool.connect();
      let started: number;
      try {
        await client.query("BEGIN");
        for (let i = 0; i < batch.length; i += 500) await enqueueAll(client, batch.slice(i, i + 500));
        await client.query("COMMIT");
        started = performance.now();
      } finally {
        client.release();
      }
      const ids = batch.map((event) => event.data.metadata.eventId);
      const lastAck = await acks.all(ids);
      return {
        events: ids.length,
        sourceRate: Number.NaN,
        seconds: (lastAck - started) / 1000,
        latencies: ids.map((id) => ackedAt.get(id)! - started),
      };
    },
    async close() {
      await relay.stop();
      await admin.deleteTopics({ topics: [`${prefix}orders`, `${prefix}raw`] }).catch(() => {});
      await admin.disconnect();
      await pool.end();
      await scratch.drop().catch(() => {});
    },
  };

  async function commitOne(event: DomainEvent): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await enqueue(client, event);
      await client.query("COMMIT");
      committedAt.set(event.data.metadata.eventId, performance.now());
    } finally {
      client.release();
    }
  }
}
