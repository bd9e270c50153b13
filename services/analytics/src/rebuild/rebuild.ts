import { randomUUID } from "node:crypto";
import { type DomainEvent, type EventSerde, EventsError } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import type { EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import pg from "pg";
import { manifest } from "../config.js";
import { AnalyticsError } from "../errors.js";
import { applyEvents } from "../projection/store.js";

/** Tables holding one row set per generation; a retired generation's rows are deleted from each. */
const GENERATION_TABLES = [
  "analytics_facts",
  "analytics_figures",
  "analytics_minute_figures",
  "analytics_sku_figures",
  "analytics_order_progress",
  "analytics_order_revenue",
] as const;

const LOCK = "SELECT pg_try_advisory_lock(hashtext('herald-analytics-rebuild')) AS locked";
const UNLOCK = "SELECT pg_advisory_unlock(hashtext('herald-analytics-rebuild'))";
const CHUNK = 500;
const DELETE_BATCH = 5_000;

export interface RebuildOptions {
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  /** The Kafka topics to replay (every topic the consumer reads). */
  readonly topics: readonly string[];
  /** Fails the rebuild when no message arrives for this long while some are still due. Default 60 s. */
  readonly idleTimeoutMs?: number;
}

export interface RebuildResult {
  readonly generation: number;
  /** Messages read up to the high watermarks taken at the start. */
  readonly replayed: number;
  /** Messages that could not be decoded (the live consumer dead-letters those too). */
  readonly skipped: number;
  readonly durationMs: number;
}

export interface Rebuild {
  readonly generation: number;
  /** Settles when the new generation is live (or the rebuild failed and was discarded). */
  readonly done: Promise<RebuildResult>;
}

/**
 * Starts rebuilding every read model: a new generation is created in state `building` (from then
 * on the live consumer projects each event into it too), every topic is replayed from the beginning
 * up to its high watermark with a throwaway consumer group, then one transaction makes the new
 * generation live and the old one retired; readers keep reading the old figures until that commit.
 * Facts are keyed by event id, so the overlap between replay and live consumption counts once.
 * One rebuild at a time across instances (ANALYTICS_REBUILD_RUNNING otherwise).
 */
export async function startRebuild(options: RebuildOptions): Promise<Rebuild> {
  const { pool } = options;
  const lock = await pool.connect();
  let generation: number;
  try {
    const { rows } = await lock.query<{ locked: boolean }>(LOCK);
    if (!rows[0]?.locked)
      throw new AnalyticsError("ANALYTICS_REBUILD_RUNNING", "a rebuild is already running", {
        retryable: true,
      });
  } catch (error) {
    lock.release();
    throw error;
  }
  try {
    // The lock is free, so any generation still building was left by a rebuild that died.
    await pool.query(
      "UPDATE analytics_generations SET state = 'failed', finished_at = now(), error = 'abandoned' WHERE state = 'building'",
    );
    await deleteRetiredRows(pool);
    const { rows } = await pool.query<{ generation: number }>(
      `INSERT INTO analytics_generations (generation, state)
       SELECT coalesce(max(generation), 0) + 1, 'building' FROM analytics_generations
       RETURNING generation`,
    );
    generation = rows[0]!.generation;
  } catch (error) {
    await release(lock);
    throw error;
  }

  const done = (async (): Promise<RebuildResult> => {
    const started = Date.now();
    try {
      const { replayed, skipped } = await replay(options, generation);
      await swapIn(pool, generation, replayed);
      await deleteRetiredRows(pool).catch(() => {});
      return { generation, replayed, skipped, durationMs: Date.now() - started };
    } catch (error) {
      await pool
        .query(
          "UPDATE analytics_generations SET state = 'failed', finished_at = now(), error = $2 WHERE generation = $1",
          [generation, String((error as Error).message ?? error).slice(0, 2_000)],
        )
        .catch(() => {});
      await deleteRetiredRows(pool).catch(() => {});
      throw error instanceof AnalyticsError
        ? error
        : new AnalyticsError("ANALYTICS_REBUILD_FAILED", `rebuild failed: ${(error as Error).message}`, {
            retryable: true,
            cause: error,
          });
    } finally {
      await release(lock);
    }
  })();
  return { generation, done };
}

async function release(lock: pg.PoolClient): Promise<void> {
  let broken = false;
  await lock.query(UNLOCK).catch(() => {
    broken = true;
  });
  lock.release(broken);
}

/** Reads every partition of `topics` from its start to the high watermark taken now. */
async function replay(
  options: RebuildOptions,
  generation: number,
): Promise<{ replayed: number; skipped: number }> {
  const { kafka, pool, serde } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const admin = kafka.admin();
  await admin.connect();
  const targets = new Map<string, bigint>();
  let topics: string[];
  try {
    const existing = new Set(await admin.listTopics());
    topics = options.topics.filter((topic) => existing.has(topic));
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(partition.high) > BigInt(partition.low))
          targets.set(`${topic}:${partition.partition}`, BigInt(partition.high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (targets.size === 0) return { replayed: 0, skipped: 0 };

  // The prefix the broker's ACLs let analytics read and delete groups under.
  const groupId = `${manifest.groupPrefix}${generation}-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  let replayed = 0;
  let skipped = 0;
  let lastProgress = Date.now();
  let failed: unknown;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  async function project(messages: KafkaMessage[]): Promise<void> {
    const events: DomainEvent[] = [];
    for (const message of messages) {
      const event = await decode(serde, message);
      if (event) events.push(event);
      else skipped += 1;
    }
    await withRetries(pool, (tx) => applyEvents(tx, generation, events));
    replayed += messages.length;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset, pause } = payload;
    const key = `${batch.topic}:${batch.partition}`;
    const high = targets.get(key);
    if (high === undefined || failed) return;
    const due = batch.messages.filter((message) => BigInt(message.offset) < high);
    for (let i = 0; i < due.length; i += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = due.slice(i, i + CHUNK);
      await project(chunk);
      // Resolving only moves this consumer's fetch position; nothing is committed (autoCommit off).
      resolveOffset(chunk.at(-1)!.offset);
      lastProgress = Date.now();
      await heartbeat();
    }
    const last = due.at(-1);
    // Done at the watermark's last offset, or on passing it (an offset below it may not exist).
    const reached = (last && BigInt(last.offset) + 1n >= high) || due.length < batch.messages.length;
    if (reached) {
      targets.delete(key);
      pause();
      await pool.query("UPDATE analytics_generations SET replayed = $2 WHERE generation = $1", [
        generation,
        replayed,
      ]);
      if (targets.size === 0) finish();
    }
  }

  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > idleTimeoutMs) {
      failed ??= new AnalyticsError(
        "ANALYTICS_REBUILD_FAILED",
        `no progress for ${idleTimeoutMs} ms with ${targets.size} partitions still to read`,
        { retryable: true },
      );
      finish();
    }
  }, 1_000);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        eachBatch(payload).catch((error: unknown) => {
          failed ??= error;
          finish();
        }),
    });
    await finished;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect().catch(() => {});
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => {})
      .finally(() => admin.disconnect().catch(() => {}));
  }
  if (failed) throw failed;
  return { replayed, skipped };
}

/** Undefined for a message that is not a Herald event; a registry outage fails the rebuild instead. */
async function decode(serde: EventSerde, message: KafkaMessage): Promise<DomainEvent | undefined> {
  if (!message.value || message.value.length === 0) return undefined;
  try {
    return await serde.decode(message.value);
  } catch (error) {
    if (error instanceof EventsError && error.retryable) throw error;
    return undefined;
  }
}

/** Runs `work` in a transaction, again after a deadlock or serialization failure. */
async function withRetries<T>(pool: pg.Pool, work: (tx: pg.ClientBase) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 5 || (code !== "40P01" && code !== "40001")) throw error;
    }
  }
}

/** Makes `generation` live and the current one retired, in one transaction. */
function swapIn(pool: pg.Pool, generation: number, replayed: number): Promise<void> {
  return withTransaction(pool, async (tx) => {
    await tx.query(
      "UPDATE analytics_generations SET state = 'retired', finished_at = now() WHERE state = 'live'",
    );
    const { rowCount } = await tx.query(
      `UPDATE analytics_generations SET state = 'live', finished_at = now(), replayed = $2
        WHERE generation = $1 AND state = 'building'`,
      [generation, replayed],
    );
    if (rowCount !== 1)
      throw new AnalyticsError("ANALYTICS_REBUILD_FAILED", `generation ${generation} is no longer building`);
  });
}

/** Deletes the rows of retired and failed generations in small batches (no long transaction). */
async function deleteRetiredRows(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ generation: number }>(
    "SELECT generation FROM analytics_generations WHERE state IN ('retired', 'failed')",
  );
  const retired = rows.map((row) => row.generation);
  if (retired.length === 0) return;
  for (const table of GENERATION_TABLES) {
    const name = pg.escapeIdentifier(table);
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${name} WHERE ctid IN (
           SELECT ctid FROM ${name} WHERE generation = ANY($1::int[]) LIMIT ${DELETE_BATCH})`,
        [retired],
      );
      if ((rowCount ?? 0) < DELETE_BATCH) break;
    }
  }
}
