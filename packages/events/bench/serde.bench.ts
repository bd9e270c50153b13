import type { Benchmark } from "@herald/dev-stack/bench";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { avroTypeOf } from "../src/avro.js";
import type { EventType } from "../src/generated/types.js";
import { createEventSerde } from "../src/serde.js";
import { sampleEvent } from "../src/testing.js";

const ITERATIONS = 20_000;
const ROUNDS = 5;

type Path = { name: string; sync: () => unknown } | { name: string; async: () => Promise<unknown> };

/**
 * Events per second of each path, best of `ROUNDS` after a warm-up round. Rounds interleave the
 * paths so that machine noise and JIT warm-up hit them alike; a sync path is timed without awaits.
 */
async function rates(paths: readonly Path[]): Promise<number[]> {
  const best = paths.map(() => 0);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [index, path] of paths.entries()) {
      const start = process.hrtime.bigint();
      if ("sync" in path) for (let i = 0; i < ITERATIONS; i++) path.sync();
      else for (let i = 0; i < ITERATIONS; i++) await path.async();
      const perSecond = ITERATIONS / (Number(process.hrtime.bigint() - start) / 1e9);
      if (round > 0) best[index] = Math.max(best[index] ?? 0, perSecond);
    }
  }
  return best;
}

export default {
  name: "events: serde encode+decode vs raw avsc",
  async run({ infra }) {
    const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
    await serde.register();
    const client = new SchemaRegistry({ host: infra.schemaRegistryUrl });
    const rows: Record<string, string | number>[] = [];
    const notes: string[] = [];
    for (const type of ["OrderPlaced", "PaymentProcessed"] satisfies EventType[]) {
      const event = sampleEvent(type);
      const avro = avroTypeOf(type);
      const framed = await serde.encode(event);
      const id = framed.readInt32BE(1);
      const [raw = 0, herald = 0, library = 0] = await rates([
        { name: "raw avsc", sync: () => avro.fromBuffer(avro.toBuffer(event.data)) },
        { name: "herald serde", async: async () => serde.decode(await serde.encode(event)) },
        { name: "registry client", async: async () => client.decode(await client.encode(id, event.data)) },
      ]);
      const row = (path: string, perSecond: number) => ({
        event: type,
        path,
        "bytes/event": path === "raw avsc" ? framed.length - 5 : framed.length,
        "events/s": Math.round(perSecond),
        "µs/event": Number((1e6 / perSecond).toFixed(2)),
        "vs raw avsc": Number((perSecond / raw).toFixed(2)),
      });
      rows.push(
        row("raw avsc", raw),
        row("herald serde", herald),
        row("registry client encode/decode", library),
      );
      notes.push(
        `${type}: the serde runs at ${((herald / raw) * 100).toFixed(0)}% of raw avsc (${(raw / herald).toFixed(2)}x slower); ` +
          `the registry client's own encode/decode at ${((library / raw) * 100).toFixed(0)}%.`,
      );
    }
    notes.push(
      `encode+decode of one event per iteration, ${ITERATIONS} iterations, best of ${ROUNDS} rounds after a warm-up.`,
    );
    return { rows, notes };
  },
} satisfies Benchmark;
