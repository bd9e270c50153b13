import { Counter, Gauge, Histogram, type Metric, type Registry } from "prom-client";

export interface RelayMetrics {
  readonly backlog: Gauge;
  readonly publishLatency: Histogram;
  readonly published: Counter<"topic">;
  readonly failures: Counter<"code">;
  readonly ownedBuckets: Gauge;
  readonly parkedAggregates: Gauge;
}

export interface ConsumerMetrics {
  readonly lag: Gauge<"group" | "topic" | "partition">;
  readonly messages: Counter<"group" | "topic" | "outcome">;
  readonly deadLettered: Counter<"group" | "topic" | "code">;
  readonly blockedPartitions: Gauge<"group">;
  readonly hop: Histogram<"group" | "topic" | "event_type">;
}

/** Seconds, from a few milliseconds (a busy relay) to half a minute (an outage). */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Several relays or consumers in one process share one set of metrics (prom-client refuses a name
 * twice per registry); without a registry the metrics still count but are exposed nowhere.
 */
function shared<M extends Metric>(
  registry: Registry | undefined,
  name: string,
  make: (registers: Registry[]) => M,
): M {
  const existing = registry?.getSingleMetric(name);
  return (existing as M | undefined) ?? make(registry ? [registry] : []);
}

export function relayMetrics(registry: Registry | undefined): RelayMetrics {
  return {
    backlog: shared(
      registry,
      "herald_outbox_backlog",
      (registers) =>
        new Gauge({
          name: "herald_outbox_backlog",
          help: "Outbox rows not yet acknowledged by Kafka.",
          registers,
        }),
    ),
    publishLatency: shared(
      registry,
      "herald_outbox_publish_latency_seconds",
      (registers) =>
        new Histogram({
          name: "herald_outbox_publish_latency_seconds",
          help: "From an event's outbox insert (its transaction's commit, give or take the rest of that transaction) to Kafka's acknowledgement.",
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    published: shared(
      registry,
      "herald_outbox_published_total",
      (registers) =>
        new Counter({
          name: "herald_outbox_published_total",
          help: "Events the relay published and Kafka acknowledged (republished ones included).",
          labelNames: ["topic"] as const,
          registers,
        }),
    ),
    failures: shared(
      registry,
      "herald_outbox_relay_failures_total",
      (registers) =>
        new Counter({
          name: "herald_outbox_relay_failures_total",
          help: "Relay cycles that failed (and were retried), by error code.",
          labelNames: ["code"] as const,
          registers,
        }),
    ),
    ownedBuckets: shared(
      registry,
      "herald_outbox_relay_owned_buckets",
      (registers) =>
        new Gauge({
          name: "herald_outbox_relay_owned_buckets",
          help: "Outbox buckets the relays of this process currently own.",
          registers,
        }),
    ),
    parkedAggregates: shared(
      registry,
      "herald_outbox_parked_aggregates",
      (registers) =>
        new Gauge({
          name: "herald_outbox_parked_aggregates",
          help: "Aggregates in the buckets of this process's relays whose events wait behind a row no relay could encode (see listParked/releaseParked).",
          registers,
        }),
    ),
  };
}

export function consumerMetrics(registry: Registry | undefined): ConsumerMetrics {
  return {
    lag: shared(
      registry,
      "herald_consumer_lag",
      (registers) =>
        new Gauge({
          name: "herald_consumer_lag",
          help: "Messages behind the partition's high watermark after the last handled message.",
          labelNames: ["group", "topic", "partition"] as const,
          registers,
        }),
    ),
    messages: shared(
      registry,
      "herald_consumer_messages_total",
      (registers) =>
        new Counter({
          name: "herald_consumer_messages_total",
          help: "Consumed messages by outcome: processed, duplicate (already in the inbox), retried (one failed attempt), dead_lettered.",
          labelNames: ["group", "topic", "outcome"] as const,
          registers,
        }),
    ),
    deadLettered: shared(
      registry,
      "herald_consumer_dead_lettered_total",
      (registers) =>
        new Counter({
          name: "herald_consumer_dead_lettered_total",
          help: "Messages sent to the consumer group's dead-letter topic, by error code.",
          labelNames: ["group", "topic", "code"] as const,
          registers,
        }),
    ),
    hop: shared(
      registry,
      "herald_consumer_hop_seconds",
      (registers) =>
        new Histogram({
          name: "herald_consumer_hop_seconds",
          help: "One hop of a saga: from an event's occurredAt (its producer's decision) to its handler's commit in this group, through the outbox, the relay, Kafka and this consumer; per event type.",
          labelNames: ["group", "topic", "event_type"] as const,
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    blockedPartitions: shared(
      registry,
      "herald_consumer_blocked_partitions",
      (registers) =>
        new Gauge({
          name: "herald_consumer_blocked_partitions",
          help: "Partitions whose current message waits for our own infrastructure (database, registry, outbox partitions) to come back.",
          labelNames: ["group"] as const,
          registers,
        }),
    ),
  };
}
