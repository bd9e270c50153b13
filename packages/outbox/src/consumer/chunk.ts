import { performance } from "node:perf_hooks";
import type { DomainEvent } from "@herald/events";
import type { KafkaMessage } from "kafkajs";
import type pg from "pg";
import { OutboxError } from "../errors.js";
import { claimChunk, forgetClaims } from "./chunk-claim.js";
import type { ConsumerContext } from "./context.js";
import type { Origin } from "./dead-letter.js";
import { decode } from "./decode.js";
import { commit, rolledBack } from "./inbox-transaction.js";
import type { MessageHandler } from "./message.js";
import { classify, type Failure, handlerFailure, infrastructureFailure } from "./retries.js";
import { type HeldSpan, holdProcessingSpan } from "./span.js";

/** At most this many messages of a partition's batch share a transaction (see `chunkBudgetMs` too). */
export const CHUNK_MAX_MESSAGES = 100;

// One savepoint name: each handler runs under a fresh one, released once the handler returned.
const SAVEPOINT = "SAVEPOINT herald_message";
/** Releases the previous handler's savepoint (failing if it left the transaction aborted) and sets the next. */
const RELEASE_AND_SAVEPOINT = "RELEASE SAVEPOINT herald_message; SAVEPOINT herald_message";
const ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT herald_message";
const IN_FAILED_TRANSACTION = "25P02";

export interface Partition {
  readonly topic: string;
  readonly partition: number;
}

/** What a chunk did with the messages it was given. */
export interface ChunkResult {
  /** How many of the first messages reached their final outcome (their offsets are resolved). */
  readonly settled: number;
  /** Stopped or rebalanced while a message of the chunk was retried: it will be redelivered. */
  readonly stopped: boolean;
}

/** What the transaction left to do once it committed. */
interface Committed {
  readonly taken: number;
  readonly outcomes: ("processed" | "duplicate")[];
  readonly failed: { readonly event: DomainEvent; readonly failure: Failure } | undefined;
}

/**
 * Consecutive messages of one partition in one transaction: their inbox entries in one statement,
 * then each new message's handler in offset order under a savepoint of its own. A handler that
 * fails is rolled back alone: the chunk ends before it (its inbox entry and those of the messages
 * after it taken back), commits what its neighbours did, and the failed message goes on to its
 * final outcome by the one-by-one rules, its first failure counted as its first attempt. Messages
 * of a parked key, undecodable ones and a chunk whose transaction fails as a whole are left to the
 * one-by-one path (`settled` 0 for the first message). Offsets are resolved only after the commit.
 */
export class ChunkHandler {
  constructor(
    private readonly ctx: ConsumerContext,
    private readonly oneByOne: MessageHandler,
  ) {}

  async run(
    where: Partition,
    messages: readonly KafkaMessage[],
    settle: (message: KafkaMessage) => void,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ): Promise<ChunkResult> {
    const events = await this.decodeLeading(messages);
    if (events.length === 0) return { settled: 0, stopped: false };
    const spans: HeldSpan[] = [];
    const committed = await this.transaction(where, messages, events, spans, active);
    if (!committed) return { settled: 0, stopped: false };
    const { monitor } = this.ctx;
    const { taken, outcomes, failed } = committed;
    const name = `${where.topic}/${where.partition}`;
    monitor.unblock(name);
    for (let i = 0; i < taken; i++) {
      const message = messages[i]!;
      spans[i]!.end(true);
      monitor.report(outcomes[i]!, where.topic, where.partition, {
        offset: message.offset,
        event: events[i],
        attempt: 1,
      });
      settle(message);
    }
    if (!failed) return { settled: taken, stopped: false };
    const message = messages[taken]!;
    const span = spans[taken]!;
    const origin: Origin = { ...where, message };
    span.end(span.within(() => this.oneByOne.untilFinal(origin, heartbeat, active, failed)));
    let final = false;
    try {
      final = await span.done;
    } finally {
      monitor.unblock(name);
    }
    if (!final) return { settled: taken, stopped: true };
    settle(message);
    return { settled: taken + 1, stopped: false };
  }

  /** The events of the chunk's first messages, up to the first that does not decode (now). */
  private async decodeLeading(messages: readonly KafkaMessage[]): Promise<DomainEvent[]> {
    const events: DomainEvent[] = [];
    for (const message of messages) {
      try {
        events.push(await decode(this.ctx.serde, message));
      } catch {
        break;
      }
    }
    return events;
  }

  /** Runs the chunk's transaction; undefined when it failed as a whole (nothing of it committed). */
  private async transaction(
    where: Partition,
    messages: readonly KafkaMessage[],
    events: readonly DomainEvent[],
    spans: HeldSpan[],
    active: () => boolean,
  ): Promise<Committed | undefined> {
    const { ctx } = this;
    const { groupId, chunkBudgetMs } = ctx.settings;
    let client: pg.PoolClient;
    try {
      client = await ctx.pool.connect();
    } catch (error) {
      ctx.monitor.error(infrastructureFailure(error));
      return undefined;
    }
    const onError = () => {};
    client.on("error", onError);
    let broken = false;
    try {
      await client.query("BEGIN");
      const claim = await claimChunk(client, groupId, messages, events);
      const unhandled = claim.inserted;
      const outcomes: ("processed" | "duplicate")[] = [];
      let failed: Committed["failed"];
      let savepoint = false;
      const started = performance.now();
      let index = 0;
      for (; index < claim.takeable; index++) {
        if (index > 0 && (!active() || performance.now() - started >= chunkBudgetMs)) break;
        const event = events[index]!;
        const span = holdProcessingSpan({ ...where, message: messages[index]! }, groupId);
        spans.push(span);
        if (!unhandled.delete(event.data.metadata.eventId.toLowerCase())) {
          outcomes.push("duplicate");
          continue;
        }
        if (!savepoint) await client.query(SAVEPOINT);
        const failure = await span.within(() => this.handle(client, event));
        savepoint = failure === undefined;
        if (failure) {
          await client.query(ROLLBACK_TO_SAVEPOINT);
          unhandled.add(event.data.metadata.eventId.toLowerCase());
          failed = { event, failure };
          break;
        }
        outcomes.push("processed");
      }
      await forgetClaims(client, groupId, unhandled);
      await commit(client);
      return { taken: index, outcomes, failed };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      const failure = error instanceof OutboxError ? error : infrastructureFailure(error);
      for (const span of spans) span.end(Promise.reject(failure));
      ctx.monitor.error(failure);
      return undefined;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  /**
   * Runs one handler (a savepoint is set) and releases its savepoint, setting the next one; the
   * failure of the handler (or of its release, when the handler left the transaction aborted), or
   * undefined. Any other failure of the transaction is thrown.
   */
  private async handle(client: pg.ClientBase, event: DomainEvent): Promise<Failure | undefined> {
    try {
      await this.ctx.handle(event, client);
    } catch (error) {
      return classify(handlerFailure(error));
    }
    try {
      await client.query(RELEASE_AND_SAVEPOINT);
    } catch (error) {
      if ((error as { code?: unknown }).code === IN_FAILED_TRANSACTION) return classify(rolledBack());
      throw error;
    }
    return undefined;
  }
}
