import { quietIdleKafkaConnections } from "./kafkajs-idle.js";
import { createRelayContext } from "./relay/context.js";
import { PublishCycle } from "./relay/cycle.js";
import { maintenanceLoop, publishLoop } from "./relay/loops.js";
import { Maintenance } from "./relay/maintenance.js";
import { Parks } from "./relay/parks.js";
import { Publisher } from "./relay/publisher.js";
import type { Relay, RelayOptions } from "./relay/types.js";
import { sleep } from "./retry.js";

export type { ParkedRow, PublishedEvent, Relay, RelayHooks, RelayOptions } from "./relay/types.js";

/** How long stop() lets the batch in flight finish. */
const STOP_GRACE_MS = 10_000;

/**
 * The relay: publishes outbox rows to Kafka (Avro, keyed by aggregate) at least once, in id order
 * per bucket. Instances share the buckets through session advisory locks, so each aggregate has one
 * publisher at a time, and a crashed instance's buckets are taken over. Only rows below the
 * {@link PublicationWatermark} are read, so a row whose transaction commits late is never skipped.
 * Progress is saved per bucket after Kafka's acknowledgement; a crash in between republishes.
 */
export function createRelay(options: RelayOptions): Relay {
  quietIdleKafkaConnections();
  const ctx = createRelayContext(options);
  const publisher = new Publisher(ctx);
  const cycle = new PublishCycle(ctx, new Parks(ctx, publisher));
  const maintenance = new Maintenance(ctx);

  let running = false;
  let stopping = new AbortController();
  let loops: Promise<void>[] = [];

  return {
    async start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loops = [
        publishLoop(ctx, cycle, publisher, stopping.signal),
        maintenanceLoop(ctx, maintenance, stopping.signal),
      ];
    },
    async stop() {
      if (!running) return;
      running = false;
      stopping.abort();
      // A send stuck on an unreachable broker is abandoned after the grace period: its rows were not
      // marked published, so they go out again later.
      const finished = Promise.all(loops);
      await Promise.race([finished, sleep(STOP_GRACE_MS)]);
      // In-memory cursors cover only acknowledged rows, even with a send still stuck.
      await cycle.finish();
      await publisher.dropProducer();
      await finished;
      loops = [];
    },
  };
}
