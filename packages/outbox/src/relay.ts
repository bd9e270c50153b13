import {
  type DomainEvent,
  type EventSerde,
  EventsError,
  type EventsErrorCode,
  schemaFingerprintOf,
  type TopicName,
} from "@herald/events";
import { type IHeaders, type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import { OutboxError, type OutboxErrorCode } from "./errors.js";
import { HEADERS } from "./headers.js";
import { type RelayMetrics, relayMetrics } from "./metrics.js";
import { keepParked, type OpenPark, openParks, park, resolvePark } from "./parking.js";
import { countBacklog, maintainPartitions, type OutboxTables, resolveOutboxTables } from "./partitions.js";
import { type Backoff, backoffDelay, notify, sleep } from "./retry.js";
import { PublicationWatermark, type Writer } from "./watermark.js";

export interface Relay {
  start(): Promise<void>;
  /** Finishes the batch in flight, saves its progress, releases its buckets and disconnects. */
  stop(): Promise<void>;
}

/** One event Kafka acknowledged. */
export interface PublishedEvent {
  readonly eventId: string;
  readonly eventType: string;
  /** The Kafka topic it went to. */
  readonly topic: string;
  readonly key: string;
  readonly correlationId: string;
  /** When its outbox row was written, in epoch milliseconds of this process's clock. */
  readonly writtenAt: number;
}

/** Observers for logging; they run synchronously inside the relay, so keep them cheap. */
export interface RelayHooks {
  /** A batch was acknowledged by Kafka (before its progress is saved: a crash now republishes it). */
  published?(batch: { readonly events: readonly PublishedEvent[]; readonly ackedAt: number }): void;
  /** A cycle failed; the relay backs off and retries. */
  error?(error: OutboxError): void;
  /** The set of buckets this relay publishes changed (after start, rebalancing, or a lost connection). */
  bucketsChanged?(buckets: readonly number[]): void;
  /**
   * A row can never be encoded by this relay (unknown event type, another writer schema, a payload
   * its schema refuses): its aggregate is parked, its later rows wait, other aggregates flow. An
   * operator lists and releases parks with `listParked` / `releaseParked`.
   */
  parked?(park: ParkedRow): void;
  /** A parked aggregate flows again: its row was published after a retry, or skipped by an operator. */
  unparked?(release: { readonly aggregateKey: string; readonly resolution: "published" | "skipped" }): void;
  /** The id sequence came back lower than before (e.g. a failover lost its state): these buckets publish again from the start of what the outbox holds. */
  rewound?(rewind: { readonly buckets: readonly number[]; readonly issued: string }): void;
  /** A maintenance pass changed the partitions. */
  maintained?(result: { readonly created: number; readonly dropped: number; readonly backlog: number }): void;
}

/** A row the relay parked, with why. */
export interface ParkedRow {
  readonly aggregateKey: string;
  readonly outboxId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly code: Extract<OutboxErrorCode, "OUTBOX_UNENCODABLE_ROW">;
  readonly reason: string;
}

export interface RelayOptions {
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly serde: EventSerde;
  readonly metrics?: Registry;
  readonly hooks?: RelayHooks;
  /** Maps a contract topic to the Kafka topic to write (e.g. to prefix per environment). Default: itself. */
  readonly topicName?: (topic: TopicName) => string;
  /** Most rows read and sent per cycle. Default 500. */
  readonly batchSize?: number;
  /** Wait between polls when there is nothing to publish: grows from `min` to `max`. Default 1–25 ms. */
  readonly pollIntervalMs?: { readonly min: number; readonly max: number };
  /** How often a relay re-balances buckets with the others. Default 2 s. */
  readonly rebalanceIntervalMs?: number;
  /** How often partitions are maintained and the backlog gauge measured. Default 5 s. */
  readonly maintenanceIntervalMs?: number;
  /** Ids per new partition. Default 100,000. */
  readonly partitionSize?: number;
  /** Partitions kept ready beyond the highest id handed out. Default 3. */
  readonly partitionsAhead?: number;
  /** Backoff after a failed cycle (database, Kafka or registry down). Default 100 ms to 5 s. */
  readonly retry?: Backoff;
}

interface Row {
  id: string;
  bucket: number;
  topic: TopicName;
  aggregate_key: string;
  event_type: DomainEvent["type"];
  event_id: string;
  correlation_id: string;
  traceparent: string | null;
  payload: DomainEvent["data"];
  schema_fingerprint: string | null;
  written_ms: number;
}

/** Why a row can never be encoded by this relay. */
interface Unencodable {
  readonly unencodable: string;
}

/** Encoding failures that trying again cannot fix; the others (the registry is down) are retried. */
const PERMANENT_ENCODE_FAILURES: ReadonlySet<EventsErrorCode> = new Set([
  "EVENTS_SCHEMA_VIOLATION",
  "EVENTS_UNKNOWN_EVENT_TYPE",
  "EVENTS_INCOMPATIBLE_SCHEMA",
  "EVENTS_INVALID_SCHEMA",
]);

interface Session {
  readonly client: pg.PoolClient;
  readonly tables: OutboxTables;
  readonly locks: { readonly buckets: number; readonly members: number; readonly maintenance: number };
  readonly database: number;
  /** Settled ids as seen through this session: a reconnect (maybe to a promoted replica) starts over. */
  readonly watermark: PublicationWatermark;
  /** Open parks in the owned buckets, by aggregate key. */
  parked: Map<string, OpenPark>;
  readonly buckets: readonly number[];
  /** Owned bucket → every row of it up to this id is published. */
  readonly owned: Map<number, bigint>;
  readonly onError: (error: Error) => void;
  broken?: Error;
  savedAt: number;
  /** When the watermark was last probed (Date.now()). */
  probedAt: number;
  /** Cursors moved in memory since they were last saved; `published` if rows went out meanwhile. */
  unsaved: "none" | "idle" | "published";
}

type CycleResult = "full" | "published" | "waiting" | "idle";

/** A read of up to a batch of rows after the `from` cursors, no further than `upper`. */
interface PendingRead {
  readonly from: ReadonlyMap<number, bigint>;
  readonly upper: bigint;
  readonly rows: Promise<Row[]>;
}

function sameCursors(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [bucket, cursor] of a) if (b.get(bucket) !== cursor) return false;
  return true;
}

/** Longest pause between polls while fences wait for transactions to finish. */
const WAITING_POLL_MAX_MS = 4;

/**
 * How often moved cursors are saved, after publishing and over empty stretches. Each save spends a
 * transaction id; a crash republishes at most this much (consumers dedupe), and buckets are saved
 * before they change hands, so a handover republishes nothing.
 */
const SAVE_INTERVAL_MS = { published: 200, idle: 1_000 };

/** After dropping partitions gave up on a lock (a transaction keeps the outbox open), it rests this many passes. */
const DROP_RETRY_PASSES = 6;

/** How long stop() lets the batch in flight finish. */
const STOP_GRACE_MS = 10_000;

/** How far past the laggard cursor one read looks, in batches. */
const READ_WINDOW_BATCHES = 4;

/** While a backlog drains, the watermark is probed at least this often (not before every batch). */
const DRAINING_PROBE_INTERVAL_MS = 100;

/**
 * The relay: publishes outbox rows to Kafka (Avro, keyed by aggregate) at least once, in id order
 * per bucket. Instances share the buckets through session advisory locks, so each aggregate has one
 * publisher at a time, and a crashed instance's buckets are taken over. Only rows below the
 * {@link PublicationWatermark} are read, so a row whose transaction commits late is never skipped.
 * Progress is saved per bucket after Kafka's acknowledgement; a crash in between republishes.
 */
export function createRelay(options: RelayOptions): Relay {
  const batchSize = positive("batchSize", options.batchSize ?? 500);
  const poll = options.pollIntervalMs ?? { min: 1, max: 25 };
  const rebalanceIntervalMs = positive("rebalanceIntervalMs", options.rebalanceIntervalMs ?? 2_000);
  const maintenanceIntervalMs = positive("maintenanceIntervalMs", options.maintenanceIntervalMs ?? 5_000);
  const partitionSize = positive("partitionSize", options.partitionSize ?? 100_000);
  const partitionsAhead = positive("partitionsAhead", options.partitionsAhead ?? 3);
  const retry = options.retry ?? { initialMs: 100, maxMs: 5_000 };
  const topicName = options.topicName ?? ((topic: TopicName) => topic);
  const { pool, kafka, serde, hooks = {} } = options;
  const metrics: RelayMetrics = relayMetrics(options.metrics);

  let running = false;
  let stopping: AbortController = new AbortController();
  let loops: Promise<void>[] = [];
  let session: Session | undefined;
  let prefetched: PendingRead | undefined;
  let producer: Producer | undefined;
  let nextRebalanceAt = 0;
  let dropRetryAt = 0;
  // The highest id any session of this relay saw handed out: a lower one later means the sequence
  // went back, even when it is first seen through a new session.
  let highestIssued = -1n;
  // Database clock minus ours, so write times from Postgres compare with acknowledgement times here.
  let clockOffsetMs = 0;

  async function openSession(): Promise<Session> {
    const client = await pool.connect().catch((error: unknown) => {
      throw databaseError("could not connect", error);
    });
    const onError = (error: Error) => {
      if (session?.client === client) session.broken = error;
    };
    client.on("error", onError);
    try {
      // Losing a progress update in a database crash only republishes (consumers dedupe), so the
      // relay's own commits need not wait for the WAL flush.
      await client.query("SET application_name = 'herald-outbox-relay'; SET synchronous_commit = off");
      const tables = await resolveOutboxTables(client);
      if (!tables) throw new Error("no outbox table on the search_path: run outboxMigrations first");
      const { rows } = await client.query<{
        buckets: number;
        members: number;
        maintenance: number;
        database: number;
      }>(
        `SELECT hashtext($1 || ':buckets') & 2147483647 AS buckets,
                hashtext($1 || ':members') & 2147483647 AS members,
                hashtext($1 || ':maintenance') & 2147483647 AS maintenance,
                (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS database`,
        [tables.outbox],
      );
      const { database, ...locks } = rows[0]!;
      // Membership: live relays are counted by this lock, so each knows its fair share of buckets.
      for (;;) {
        const member = Math.floor(Math.random() * 2 ** 31);
        const { rows: got } = await client.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock($1::int, $2::int) AS ok",
          [locks.members, member],
        );
        if (got[0]?.ok) break;
      }
      const { rows: buckets } = await client.query<{ bucket: number }>(
        `SELECT bucket FROM ${tables.state} ORDER BY bucket`,
      );
      return {
        client,
        tables,
        locks,
        database,
        watermark: new PublicationWatermark(),
        parked: new Map(),
        buckets: buckets.map((row) => row.bucket),
        owned: new Map(),
        onError,
        savedAt: 0,
        probedAt: 0,
        unsaved: "none",
      };
    } catch (error) {
      client.off("error", onError);
      client.release(true);
      throw databaseError("could not open a relay session", error);
    }
  }

  /** Ending the connection releases every advisory lock it holds. */
  function closeSession(reason?: Error): void {
    const current = session;
    prefetched = undefined;
    if (!current) return;
    session = undefined;
    metrics.ownedBuckets.dec(current.owned.size);
    metrics.parkedAggregates.dec(current.parked.size);
    if (current.owned.size > 0) notify(hooks.bucketsChanged, []);
    current.client.off("error", current.onError);
    current.client.release(reason ?? true);
  }

  async function rebalance(s: Session): Promise<void> {
    const { rows } = await s.client.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::bigint::oid
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [s.locks.members],
    );
    const live = Math.max(1, rows[0]?.live ?? 1);
    const target = Math.ceil(s.buckets.length / live);
    const before = s.owned.size;
    if (s.owned.size > target) {
      // The next owner starts from the saved cursors.
      await flushProgress(s);
      const surplus = [...s.owned.keys()].sort((a, b) => b - a).slice(0, s.owned.size - target);
      for (const bucket of surplus) {
        await s.client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [s.locks.buckets, bucket]);
        s.owned.delete(bucket);
      }
    } else if (s.owned.size < target) {
      // Start at a different bucket per relay so concurrent starters do not contend for the same ones.
      const offset = Math.floor(Math.random() * s.buckets.length);
      const candidates = [...s.buckets.slice(offset), ...s.buckets.slice(0, offset)].filter(
        (b) => !s.owned.has(b),
      );
      for (const bucket of candidates) {
        if (s.owned.size >= target) break;
        const { rows: got } = await s.client.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock($1::int, $2::int) AS ok",
          [s.locks.buckets, bucket],
        );
        if (!got[0]?.ok) continue;
        const { rows: state } = await s.client.query<{ through: string }>(
          `SELECT published_through::text AS through FROM ${s.tables.state} WHERE bucket = $1`,
          [bucket],
        );
        s.owned.set(bucket, BigInt(state[0]?.through ?? "0"));
      }
    }
    if (s.owned.size !== before) {
      metrics.ownedBuckets.inc(s.owned.size - before);
      notify(
        hooks.bucketsChanged,
        [...s.owned.keys()].sort((a, b) => a - b),
      );
    }
  }

  async function probe(s: Session): Promise<void> {
    const request = s.watermark.writersRequest();
    const sentAt = Date.now();
    s.probedAt = sentAt;
    const { rows } = await s.client.query<{ issued: string; writers: string[] | null; now_ms: number }>(
      // The writers are read in the projection, a subquery correlated with the sequence row, so
      // after the sequence was read: see PublicationWatermark for why that never skips a row. No
      // transaction id is spent, and only transactions that write the outbox are waited for.
      `SELECT (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)::text AS issued,
              CASE WHEN $1::boolean
                     OR ($2::boolean AND (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END) > $3::bigint)
                   THEN ARRAY(
                     WITH l AS MATERIALIZED (
                       SELECT locktype, mode, database, relation, virtualtransaction, transactionid
                         FROM pg_locks WHERE s.last_value IS NOT NULL)
                     SELECT DISTINCT r.virtualtransaction || coalesce(' ' || t.transactionid::text, '')
                       FROM l r LEFT JOIN l t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
                      WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock' AND r.database = $4::oid
                        AND r.relation IN (SELECT relid FROM pg_partition_tree($5::oid::regclass)))
              END AS writers,
              extract(epoch FROM clock_timestamp()) * 1000 AS now_ms
         FROM ${s.tables.sequence} s`,
      [request.waiting, request.room, request.after.toString(), s.database, s.tables.oid],
    );
    const row = rows[0]!;
    clockOffsetMs = Number(row.now_ms) - (sentAt + Date.now()) / 2;
    const issued = BigInt(row.issued);
    const observed = s.watermark.observe({
      issued,
      writers: row.writers === null ? null : writersOf(row.writers),
    });
    const regressed = observed === "regressed" || issued < highestIssued;
    highestIssued = issued;
    // A cursor past the highest id handed out proves the sequence went back too (across a restart).
    const behind = regressed
      ? [...s.owned.keys()]
      : [...s.owned].filter(([, cursor]) => cursor > issued).map(([bucket]) => bucket);
    if (behind.length > 0) await rewind(s, behind, issued);
  }

  /**
   * Ids handed out again may lie below saved cursors; nothing says which, so the buckets publish
   * again all the outbox still holds (consumers dedupe the republished rows).
   */
  async function rewind(s: Session, buckets: readonly number[], issued: bigint): Promise<void> {
    prefetched = undefined;
    await s.client.query(
      `UPDATE ${s.tables.state} SET published_through = 0, updated_at = now() WHERE bucket = ANY($1::smallint[])`,
      [buckets],
    );
    for (const bucket of buckets) s.owned.set(bucket, 0n);
    notify(hooks.rewound, { buckets: [...buckets].sort((a, b) => a - b), issued: issued.toString() });
  }

  /**
   * Reads up to a batch in id order from the owned buckets, looking no further than `upper`: a window
   * of a few batches past the laggard cursor, so a large backlog is never scanned wholesale.
   */
  async function readRows(s: Session, from: ReadonlyMap<number, bigint>, upper: bigint): Promise<Row[]> {
    const buckets = [...from.keys()];
    const { rows } = await s.client.query<Row>(
      `SELECT o.id::text AS id, o.bucket, o.topic, o.aggregate_key, o.event_type, o.event_id::text AS event_id,
              o.correlation_id, o.traceparent, o.payload, o.schema_fingerprint,
              extract(epoch FROM o.created_at) * 1000 AS written_ms
         FROM unnest($1::smallint[], $2::bigint[]) AS c(bucket, after)
        CROSS JOIN LATERAL (
          SELECT * FROM ${s.tables.outbox} o
           WHERE o.bucket = c.bucket AND o.id > c.after AND o.id <= $3::bigint
           ORDER BY o.id LIMIT $4
        ) o
        ORDER BY o.id LIMIT $4`,
      [buckets, buckets.map((b) => from.get(b)!.toString()), upper.toString(), batchSize],
    );
    return rows;
  }

  async function ensureProducer(): Promise<Producer> {
    if (producer) return producer;
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // The Java client's murmur2 partitioner: a key lands on the same partition whatever the client.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    try {
      await created.connect();
    } catch (error) {
      await created.disconnect().catch(() => {});
      throw new OutboxError("OUTBOX_KAFKA_UNAVAILABLE", `could not connect to Kafka: ${message(error)}`, {
        cause: error,
      });
    }
    producer = created;
    return created;
  }

  /** A producer that failed is replaced: a fresh one recovers from any state a broker restart left. */
  async function dropProducer(): Promise<void> {
    const current = producer;
    producer = undefined;
    await current?.disconnect().catch(() => {});
  }

  /** Encodes a row with its writer's schema, or says why this relay never can. */
  async function encodeRow(row: Row): Promise<Buffer | Unencodable> {
    const own = schemaFingerprintOf(row.event_type);
    if (own === undefined) return { unencodable: `event type ${row.event_type} is unknown to this relay` };
    if (row.schema_fingerprint !== null && row.schema_fingerprint !== own)
      return {
        unencodable: `written with ${row.event_type} schema ${row.schema_fingerprint}; this relay has ${own}`,
      };
    try {
      return await serde.encode({ type: row.event_type, data: row.payload } as DomainEvent);
    } catch (error) {
      if (error instanceof EventsError && PERMANENT_ENCODE_FAILURES.has(error.code))
        return { unencodable: error.message };
      throw new OutboxError("OUTBOX_ENCODE_FAILED", `could not encode outbox rows: ${message(error)}`, {
        cause: error,
      });
    }
  }

  async function parkRow(s: Session, row: Row, reason: string): Promise<void> {
    const key = { id: row.id, bucket: row.bucket, aggregateKey: row.aggregate_key };
    await park(s.client, s.tables, key, { code: "OUTBOX_UNENCODABLE_ROW", reason }).catch(
      (error: unknown) => {
        throw databaseError("could not park an aggregate", error);
      },
    );
    noteParked(s, row, reason);
  }

  /** Memory, metrics and the hook of a park already written. */
  function noteParked(s: Session, row: Row, reason: string): void {
    setPark(s, {
      aggregateKey: row.aggregate_key,
      bucket: row.bucket,
      outboxId: BigInt(row.id),
      release: null,
    });
    notify(hooks.parked, {
      aggregateKey: row.aggregate_key,
      outboxId: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      code: "OUTBOX_UNENCODABLE_ROW",
      reason,
    });
  }

  function setPark(s: Session, open: OpenPark): void {
    if (!s.parked.has(open.aggregateKey)) metrics.parkedAggregates.inc();
    s.parked.set(open.aggregateKey, open);
  }

  function dropPark(s: Session, aggregateKey: string): void {
    if (s.parked.delete(aggregateKey)) metrics.parkedAggregates.dec();
  }

  /**
   * Publishes `rows` (in id order) except those of parked aggregates; a row that can never be
   * encoded parks its aggregate before anything is sent, so its later rows wait behind it.
   */
  async function publish(s: Session, rows: readonly Row[]): Promise<void> {
    const encoded = await Promise.all(
      rows.map((row) => (s.parked.has(row.aggregate_key) ? undefined : encodeRow(row))),
    );
    const sendable: { row: Row; value: Buffer }[] = [];
    for (const [index, row] of rows.entries()) {
      const value = encoded[index];
      if (value === undefined || s.parked.has(row.aggregate_key)) continue;
      if (Buffer.isBuffer(value)) sendable.push({ row, value });
      else await parkRow(s, row, value.unencodable);
    }
    if (sendable.length > 0) await send(sendable);
  }

  /**
   * Tries the parks of the owned buckets that an operator released, or that this session has not
   * tried yet (after a restart or a takeover, possibly by a relay of a newer build): publishes the
   * rows each aggregate holds back, up to its bucket's cursor (later ones flow as usual).
   */
  async function refreshParks(s: Session): Promise<void> {
    const open = await openParks(s.client, s.tables, [...s.owned.keys()]);
    const due = open.filter((p) => p.release !== null || !s.parked.has(p.aggregateKey));
    const keys = new Set(open.map((p) => p.aggregateKey));
    for (const key of [...s.parked.keys()]) if (!keys.has(key)) dropPark(s, key);
    for (const p of open) setPark(s, p);
    for (const p of due) await drain(s, p);
  }

  async function drain(s: Session, open: OpenPark): Promise<void> {
    const cursor = s.owned.get(open.bucket);
    // Below the cursor the parked rows are passed over; the release waits until the cursor is past
    // the parked row (it is behind it only after a rewind).
    if (cursor === undefined || cursor < open.outboxId) return;
    const skip = open.release === "skip";
    const { rows } = await s.client
      .query<Row>(
        `SELECT o.id::text AS id, o.bucket, o.topic, o.aggregate_key, o.event_type, o.event_id::text AS event_id,
                o.correlation_id, o.traceparent, o.payload, o.schema_fingerprint,
                extract(epoch FROM o.created_at) * 1000 AS written_ms
           FROM ${s.tables.outbox} o
          WHERE o.bucket = $1 AND o.aggregate_key = $2 AND o.id >= $3::bigint AND o.id <= $4::bigint
          ORDER BY o.id`,
        [open.bucket, open.aggregateKey, open.outboxId.toString(), cursor.toString()],
      )
      .catch((error: unknown) => {
        throw databaseError("could not read a parked aggregate", error);
      });
    const held = skip ? rows.filter((row) => BigInt(row.id) !== open.outboxId) : rows;
    const sendable: { row: Row; value: Buffer }[] = [];
    let stuck: { row: Row; reason: string } | undefined;
    for (const row of held) {
      const value = await encodeRow(row);
      if (!Buffer.isBuffer(value)) {
        stuck = { row, reason: value.unencodable };
        break;
      }
      sendable.push({ row, value });
    }
    const resolution = skip ? "skipped" : "published";
    try {
      if (stuck && BigInt(stuck.row.id) === open.outboxId) {
        await keepParked(s.client, s.tables, open.aggregateKey, stuck.reason);
        setPark(s, { ...open, release: null });
        return;
      }
      if (sendable.length > 0) await send(sendable);
      const next = stuck && {
        row: { id: stuck.row.id, bucket: stuck.row.bucket, aggregateKey: stuck.row.aggregate_key },
        failure: { code: "OUTBOX_UNENCODABLE_ROW", reason: stuck.reason },
      };
      await resolvePark(s.client, s.tables, open.aggregateKey, resolution, next);
    } catch (error) {
      throw databaseError("could not release a parked aggregate", error);
    }
    dropPark(s, open.aggregateKey);
    notify(hooks.unparked, { aggregateKey: open.aggregateKey, resolution });
    if (stuck) noteParked(s, stuck.row, stuck.reason);
  }

  async function send(entries: readonly { row: Row; value: Buffer }[]): Promise<void> {
    const rows = entries.map((entry) => entry.row);
    const values = entries.map((entry) => entry.value);
    const byTopic = new Map<string, Message[]>();
    rows.forEach((row, index) => {
      const headers: IHeaders = {
        [HEADERS.eventType]: row.event_type,
        [HEADERS.eventId]: row.event_id,
        [HEADERS.correlationId]: row.correlation_id,
      };
      if (row.traceparent) headers[HEADERS.traceparent] = row.traceparent;
      const topic = topicName(row.topic);
      let messages = byTopic.get(topic);
      if (!messages) {
        messages = [];
        byTopic.set(topic, messages);
      }
      messages.push({ key: row.aggregate_key, value: values[index]!, headers });
    });
    const active = await ensureProducer();
    try {
      await active.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      await dropProducer();
      throw new OutboxError("OUTBOX_PUBLISH_FAILED", `Kafka did not acknowledge a batch: ${message(error)}`, {
        cause: error,
      });
    }
    const ackedAt = Date.now();
    const events: PublishedEvent[] = rows.map((row) => {
      const writtenAt = Number(row.written_ms) - clockOffsetMs;
      metrics.publishLatency.observe(Math.max(0, ackedAt - writtenAt) / 1000);
      return {
        eventId: row.event_id,
        eventType: row.event_type,
        topic: topicName(row.topic),
        key: row.aggregate_key,
        correlationId: row.correlation_id,
        writtenAt,
      };
    });
    for (const [topic, messages] of byTopic) metrics.published.inc({ topic }, messages.length);
    notify(hooks.published, { events, ackedAt });
  }

  async function saveProgress(s: Session, through: bigint, published: boolean): Promise<void> {
    const behind = [...s.owned].filter(([, cursor]) => cursor < through).map(([bucket]) => bucket);
    for (const bucket of behind) s.owned.set(bucket, through);
    if (published) s.unsaved = "published";
    else if (behind.length > 0 && s.unsaved === "none") s.unsaved = "idle";
    if (s.unsaved === "none" || Date.now() - s.savedAt < SAVE_INTERVAL_MS[s.unsaved]) return;
    await flushProgress(s);
  }

  async function flushProgress(s: Session): Promise<void> {
    if (s.unsaved === "none") return;
    const buckets = [...s.owned.keys()];
    await s.client.query(
      `UPDATE ${s.tables.state} t SET published_through = c.through, updated_at = now()
         FROM unnest($1::smallint[], $2::bigint[]) AS c(bucket, through)
        WHERE t.bucket = c.bucket AND t.published_through < c.through`,
      [buckets, buckets.map((bucket) => s.owned.get(bucket)!.toString())],
    );
    s.unsaved = "none";
    s.savedAt = Date.now();
  }

  async function cycle(): Promise<CycleResult> {
    if (session?.broken) throw databaseError("lost the relay session", session.broken);
    if (!session) {
      session = await openSession();
      nextRebalanceAt = 0;
    }
    const s = session;
    try {
      if (Date.now() >= nextRebalanceAt) {
        await rebalance(s);
        await refreshParks(s);
        nextRebalanceAt = Date.now() + rebalanceIntervalMs * (0.75 + Math.random() / 2);
      }
      if (s.owned.size === 0) return "idle";
      // While a backlog drains, the batch read ahead lies below the watermark of the last probe
      // (a watermark only rises), so it goes out without probing first: a probe (the sequence and
      // the outbox's writers from pg_locks) took about as long as sending a batch to Kafka.
      const readAhead = prefetched !== undefined && sameCursors(prefetched.from, s.owned);
      if (!readAhead || Date.now() - s.probedAt >= DRAINING_PROBE_INTERVAL_MS) await probe(s);
    } catch (error) {
      throw databaseError("lost the relay session", error);
    }
    const idle = s.watermark.waiting ? "waiting" : "idle";
    const through = s.watermark.safeThrough;
    let read: PendingRead | undefined;
    if (prefetched && sameCursors(prefetched.from, s.owned)) read = prefetched;
    else read = startRead(s, s.owned, through);
    prefetched = undefined;
    if (!read) {
      await saveProgress(s, 0n, false).catch((error: unknown) => {
        throw databaseError("could not save relay progress", error);
      });
      return idle;
    }
    const rows = await read.rows;
    const full = rows.length === batchSize;
    // Rows come in id order across the owned buckets, so every owned bucket is done up to the last
    // row, or up to the window's end when the batch is not full.
    const reached = full ? BigInt(rows[rows.length - 1]!.id) : read.upper;
    const more = full || read.upper < through;
    if (more) {
      // The next batch is read while this one is sent; it is used only if nothing moved meanwhile.
      const next = new Map(
        [...s.owned].map(([bucket, cursor]) => [bucket, cursor < reached ? reached : cursor]),
      );
      prefetched = startRead(s, next, through);
    }
    if (rows.length > 0) await publish(s, rows);
    await saveProgress(s, reached, rows.length > 0).catch((error: unknown) => {
      throw databaseError("could not save relay progress", error);
    });
    if (more) return "full";
    return rows.length > 0 ? "published" : idle;
  }

  /** Starts reading the next batch after `from`, up to a window of a few batches below `through`. */
  function startRead(
    s: Session,
    from: ReadonlyMap<number, bigint>,
    through: bigint,
  ): PendingRead | undefined {
    if (from.size === 0) return undefined;
    const laggard = [...from.values()].reduce((min, cursor) => (cursor < min ? cursor : min));
    if (laggard >= through) return undefined;
    const window = laggard + BigInt(batchSize * READ_WINDOW_BATCHES);
    const upper = window < through ? window : through;
    const snapshot = new Map(from);
    const rows = readRows(s, snapshot, upper).catch((error: unknown) => {
      throw databaseError("could not read the outbox", error);
    });
    // Awaited later, or dropped unawaited when the next cycle cannot use it.
    rows.catch(() => {});
    return { from: snapshot, upper, rows };
  }

  async function publishLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let pause = poll.min;
    while (!signal.aborted) {
      let result: CycleResult;
      try {
        // Connecting before there is anything to send keeps that cost out of the first event's latency.
        await ensureProducer();
        result = await cycle();
        failures = 0;
      } catch (error) {
        failures += 1;
        prefetched = undefined;
        const failure =
          error instanceof OutboxError
            ? error
            : new OutboxError("OUTBOX_PUBLISH_FAILED", message(error), { cause: error });
        if (failure.code === "OUTBOX_DATABASE_UNAVAILABLE") closeSession(failure);
        metrics.failures.inc({ code: failure.code });
        notify(hooks.error, failure);
        await sleep(backoffDelay(failures, retry), signal);
        continue;
      }
      if (result === "full" || result === "published") {
        pause = poll.min;
        // Yield to the event loop between back-to-back cycles.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await sleep(pause, signal);
      // Waiting for running transactions to finish is short; only an idle relay slows down fully.
      pause = Math.min(result === "waiting" ? Math.min(poll.max, WAITING_POLL_MAX_MS) : poll.max, pause * 2);
    }
  }

  async function maintenanceLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await maintain(signal).catch((error: unknown) => {
        notify(
          hooks.error,
          new OutboxError("OUTBOX_MAINTENANCE_FAILED", `outbox maintenance failed: ${message(error)}`, {
            cause: error,
          }),
        );
      });
      await sleep(maintenanceIntervalMs, signal);
    }
  }

  async function maintain(signal: AbortSignal): Promise<void> {
    const client = await pool.connect();
    const onError = () => {};
    client.on("error", onError);
    // Stopping must not wait for a detach that waits for someone's long transaction.
    const abandon = () => client.release(new Error("relay stopping"));
    let released = false;
    const onAbort = () => {
      setTimeout(() => {
        if (!released) {
          released = true;
          abandon();
        }
      }, 5_000).unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const tables = await resolveOutboxTables(client);
      if (!tables) return;
      const backlog = await countBacklog(client, tables);
      metrics.backlog.set(backlog);
      const { rows } = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext($1 || ':maintenance') & 2147483647, 0) AS ok",
        [tables.outbox],
      );
      if (!rows[0]?.ok) return;
      try {
        const result = await maintainPartitions(client, tables, {
          size: partitionSize,
          ahead: partitionsAhead,
          drop: Date.now() >= dropRetryAt,
        });
        if (result.blocked) {
          dropRetryAt = Date.now() + DROP_RETRY_PASSES * maintenanceIntervalMs;
          notify(
            hooks.error,
            new OutboxError(
              "OUTBOX_MAINTENANCE_FAILED",
              `dropping published partitions waits for a transaction that has the outbox open; trying again in ${(DROP_RETRY_PASSES * maintenanceIntervalMs) / 1000} s: ${result.blocked.message}`,
              { cause: result.blocked },
            ),
          );
        }
        const { created, dropped } = result;
        if (created > 0 || dropped > 0) notify(hooks.maintained, { created, dropped, backlog });
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1 || ':maintenance') & 2147483647, 0)", [
          tables.outbox,
        ]);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      client.off("error", onError);
      if (!released) {
        released = true;
        client.release();
      }
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loops = [publishLoop(stopping.signal), maintenanceLoop(stopping.signal)];
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
      const last = session;
      if (last && !last.broken) await flushProgress(last).catch(() => {});
      closeSession();
      await dropProducer();
      await finished;
      loops = [];
    },
  };
}

/** Groups "vxid xid" pairs (or a lone vxid) into one writer per virtual transaction. */
function writersOf(pairs: readonly string[]): Writer[] {
  const byVirtual = new Map<string, string[]>();
  for (const pair of pairs) {
    const [virtual, xid] = pair.split(" ") as [string, string | undefined];
    let names = byVirtual.get(virtual);
    if (!names) {
      names = [virtual];
      byVirtual.set(virtual, names);
    }
    if (xid) names.push(xid);
  }
  return [...byVirtual.values()];
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new OutboxError("OUTBOX_INVALID_OPTIONS", `${name} must be a positive number, got ${value}`);
  return value;
}

function databaseError(what: string, error: unknown): OutboxError {
  if (error instanceof OutboxError) return error;
  return new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", `${what}: ${message(error)}`, { cause: error });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
