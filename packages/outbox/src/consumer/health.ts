import type { OutboxError } from "../errors.js";
import type { ConsumerMetrics } from "../metrics.js";
import { notify } from "../retry.js";
import type { ConsumeOutcome, ConsumeReport, ConsumerHealth, ConsumerHooks } from "./types.js";

/**
 * What the consumer tells the outside: outcomes (hook and counter), lag, errors outside a message's
 * handling, and the partitions blocked by our own infrastructure (health, hook and gauge).
 */
export class ConsumerMonitor {
  /** Partitions (`topic/partition`) whose message waits for our infrastructure to come back. */
  private readonly blocked = new Map<string, { error: OutboxError; since: Date }>();

  constructor(
    private readonly groupId: string,
    private readonly hooks: ConsumerHooks,
    private readonly metrics: ConsumerMetrics,
  ) {}

  health(): ConsumerHealth {
    let oldest: ConsumerHealth["blocked"];
    for (const entry of this.blocked.values()) if (!oldest || entry.since < oldest.since) oldest = entry;
    return { blocked: oldest };
  }

  block(where: string, error: OutboxError): void {
    const wasBlocked = this.blocked.size > 0;
    this.blocked.set(where, { error, since: this.blocked.get(where)?.since ?? new Date() });
    this.metrics.blockedPartitions.set({ group: this.groupId }, this.blocked.size);
    if (!wasBlocked) notify(this.hooks.blocked, error);
  }

  unblock(where: string): void {
    if (!this.blocked.delete(where)) return;
    this.metrics.blockedPartitions.set({ group: this.groupId }, this.blocked.size);
    if (this.blocked.size === 0) notify(this.hooks.blocked, undefined);
  }

  report(
    outcome: ConsumeOutcome,
    topic: string,
    partition: number,
    fields: Omit<ConsumeReport, "outcome" | "topic" | "partition">,
  ): void {
    this.metrics.messages.inc({ group: this.groupId, topic, outcome });
    const { event } = fields;
    if (outcome === "processed" && event)
      this.metrics.hop.observe(
        { group: this.groupId, topic, event_type: event.type },
        Math.max(0, Date.now() - event.data.metadata.occurredAt) / 1000,
      );
    notify(this.hooks.outcome, { outcome, topic, partition, ...fields });
  }

  deadLettered(topic: string, error: OutboxError): void {
    this.metrics.deadLettered.inc({ group: this.groupId, topic, code: error.code });
  }

  lag(topic: string, partition: number, behind: number): void {
    this.metrics.lag.set({ group: this.groupId, topic, partition: String(partition) }, behind);
  }

  error(error: OutboxError): void {
    notify(this.hooks.error, error);
  }
}
