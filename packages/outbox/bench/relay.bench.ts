import { performance } from "node:perf_hooks";
import { type Benchmark, ratio } from "@herald/dev-stack/bench";
import { type DomainEvent, keyOf } from "@herald/events";
import { type Message, Partitioners } from "kafkajs";
import { HEADERS } from "../src/headers.js";
import { createRelayRig, events, type Measured, paced, row } from "./relay-rig.js";

const LOADS = [500, 1_000, 2_000];
const SECONDS_PER_LOAD = Number(process.env.BENCH_RELAY_SECONDS ?? 10);
const DRAIN_EVENTS = Number(process.env.BENCH_RELAY_DRAIN ?? 20_000);
const DRAIN_ROUNDS = 2;

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

/**
 * The relay against a raw kafkajs producer (idempotent, acks all, the same Avro bytes, keys and
 * headers), in one run: at fixed offered loads (each event its own transaction for the relay; the
 * raw producer sends each tick's events in one request), then draining a backlog as fast as possible.
 */
export default {
  name: "outbox relay vs raw kafkajs producer",
  async run({ infra, progress }) {
    const rig = await createRelayRig(infra, "outbox_bench");
    const { kafka, serde, prefix, relay } = rig;
    const raw = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await raw.connect();

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
      progress("warming up");
      // Warm-up, not measured: connections, topic metadata, schema ids, JIT.
      await rig.relayAt(200, 2, 0);
      let offset = 400;
      for (const rate of LOADS) {
        progress(`relay at ${rate} ev/s`);
        const relayed = await rig.relayAt(rate, SECONDS_PER_LOAD, offset);
        offset += rate * SECONDS_PER_LOAD;
        progress(`raw producer at ${rate} ev/s`);
        const direct = await rawAt(rate, offset);
        offset += rate * SECONDS_PER_LOAD;
        rows.push(
          {
            ...row("relay", rate, relayed),
            "vs raw": ratio(relayed.events / relayed.seconds, direct.events / direct.seconds),
          },
          { ...row("raw kafkajs", rate, direct), "vs raw": 1 },
        );
        const relayRate = relayed.events / relayed.seconds;
        notes.push(
          `${rate} ev/s offered: relay ${Math.round(relayRate)} ev/s = ${((100 * relayRate) / relayed.sourceRate).toFixed(0)}% of what its writers committed (${Math.round(relayed.sourceRate)} ev/s), ${((100 * relayRate) / (direct.events / direct.seconds)).toFixed(0)}% of raw`,
        );
      }
      // Drains alternate, twice each, and the faster of each counts: load from elsewhere on the
      // machine comes and goes, and one unlucky drain would otherwise decide the ratio.
      let drainedByRelay: Measured | undefined;
      let drainedRaw: Measured | undefined;
      const faster = (a: Measured | undefined, b: Measured) => (a && a.seconds <= b.seconds ? a : b);
      for (let round = 1; round <= DRAIN_ROUNDS; round++) {
        progress(`relay draining a backlog of ${DRAIN_EVENTS} (${round}/${DRAIN_ROUNDS})`);
        drainedByRelay = faster(drainedByRelay, await rig.relayDrain(DRAIN_EVENTS, offset));
        offset += DRAIN_EVENTS;
        progress(`raw producer sending ${DRAIN_EVENTS} back to back (${round}/${DRAIN_ROUNDS})`);
        drainedRaw = faster(drainedRaw, await rawDrain(offset));
        offset += DRAIN_EVENTS;
      }
      if (!drainedByRelay || !drainedRaw) throw new Error("no drain ran");
      rows.push(
        {
          ...row("relay (backlog drain)", "max", drainedByRelay),
          "vs raw": ratio(drainedRaw.seconds, drainedByRelay.seconds),
        },
        { ...row("raw kafkajs (back to back)", "max", drainedRaw), "vs raw": 1 },
      );
      notes.push(
        `backlog drain: relay ${Math.round(drainedByRelay.events / drainedByRelay.seconds)} ev/s = ${((100 * drainedRaw.seconds) / drainedByRelay.seconds).toFixed(0)}% of raw (the faster of ${DRAIN_ROUNDS} alternating drains each); drain rows' latency columns are time since the drain started`,
        "relay latency: client-observed COMMIT to Kafka ack of the relay's batch; raw: send() call to its ack",
      );
    } finally {
      await raw.disconnect();
      await rig.close();
    }
    return { rows, notes };
  },
} satisfies Benchmark;
