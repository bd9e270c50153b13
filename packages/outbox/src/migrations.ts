/** How many buckets the outbox spreads aggregates over; relay instances share work by bucket. */
export const OUTBOX_BUCKETS = 16;

/** Width (in ids) of the partitions the migration creates; the relay adds more as ids are used. */
export const INITIAL_PARTITION_SIZE = 100_000;

/**
 * The outbox is insert-only and range-partitioned by id, so published rows leave by dropping whole
 * partitions: no UPDATE or DELETE, no bloat. `bucket` derives from the aggregate key, so one
 * aggregate's events always share a bucket and so a relay. `tx_id` records the writer's transaction.
 * Relay state is one row per bucket: every row of the bucket with an id up to `published_through`
 * has been acknowledged by Kafka.
 */
const OUTBOX_SQL = `
CREATE SEQUENCE IF NOT EXISTS outbox_id_seq AS bigint CACHE 1;
CREATE TABLE IF NOT EXISTS outbox (
  id bigint NOT NULL DEFAULT nextval('outbox_id_seq'),
  tx_id xid8 NOT NULL,
  aggregate_key text NOT NULL,
  bucket smallint NOT NULL GENERATED ALWAYS AS ((hashtext(aggregate_key) & 2147483647) % ${OUTBOX_BUCKETS}) STORED,
  topic text NOT NULL,
  event_type text NOT NULL,
  event_id uuid NOT NULL,
  correlation_id text NOT NULL,
  traceparent text,
  payload json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
) PARTITION BY RANGE (id);
ALTER SEQUENCE outbox_id_seq OWNED BY outbox.id;
CREATE INDEX IF NOT EXISTS outbox_bucket_id_idx ON outbox (bucket, id);
DO $$
BEGIN
  FOR i IN 0..2 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF outbox FOR VALUES FROM (%s) TO (%s)',
      'outbox_p' || (1 + i * ${INITIAL_PARTITION_SIZE}), 1 + i * ${INITIAL_PARTITION_SIZE}, 1 + (i + 1) * ${INITIAL_PARTITION_SIZE});
  END LOOP;
END $$;
CREATE TABLE IF NOT EXISTS outbox_relay_state (
  bucket smallint PRIMARY KEY,
  published_through bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);
INSERT INTO outbox_relay_state (bucket)
  SELECT b FROM generate_series(0, ${OUTBOX_BUCKETS - 1}) AS b
  ON CONFLICT (bucket) DO NOTHING;
`;

/** One row per event a consumer group has handled, written in the handler's transaction. */
const INBOX_SQL = `
CREATE TABLE IF NOT EXISTS inbox (
  consumer_group text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
`;

/** Lets the retention purge find a group's old entries without scanning the whole inbox. */
const INBOX_RETENTION_SQL = `
CREATE INDEX IF NOT EXISTS inbox_processed_at ON inbox (consumer_group, processed_at);
`;

/**
 * Keys (aggregate ids) a consumer group parked after dead-lettering one of their messages: the
 * key's later messages follow it to the DLQ until a redrive (whose token the row then carries)
 * releases it. In the consumer's database, so a restart keeps them.
 */
const CONSUMER_PARKED_KEYS_SQL = `
CREATE TABLE IF NOT EXISTS consumer_parked_keys (
  consumer_group text NOT NULL,
  message_key text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  error_code text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  message_offset bigint NOT NULL,
  redrive_token text,
  PRIMARY KEY (consumer_group, message_key)
);
`;

/**
 * Each row records its writer's schema fingerprint, so a relay never encodes it with another
 * schema (rows from before this migration have none and are encoded with the relay's). A row that
 * can never be encoded parks its aggregate: one open park per aggregate, kept with a copy of the row
 * and, once released, who released it, how and why.
 */
const RELAY_PARKING_SQL = `
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS schema_fingerprint text;
CREATE TABLE IF NOT EXISTS outbox_parked (
  aggregate_key text NOT NULL,
  outbox_id bigint NOT NULL,
  bucket smallint NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  topic text NOT NULL,
  payload json NOT NULL,
  code text NOT NULL,
  reason text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  release text CHECK (release IN ('retry', 'skip')),
  released_by text,
  note text,
  released_at timestamptz,
  resolution text CHECK (resolution IN ('published', 'skipped')),
  resolved_at timestamptz,
  PRIMARY KEY (aggregate_key, outbox_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_parked_open ON outbox_parked (aggregate_key) WHERE resolved_at IS NULL;
`;

/**
 * Wake-ups instead of polls. A loop with nothing to do (a relay, a service's worker) registers in
 * `idle_listeners` (its channel and backend pid; unlogged: a crash empties it) and LISTENs; a
 * trigger on the table it waits for notifies the channel (the table's schema as payload) only while
 * someone is registered there. Postgres delivers a notification when the writer commits (never for a
 * rollback) and folds one transaction's into one. The register matters under load: NOTIFY holds a
 * cluster-wide lock from before a commit's WAL flush to its end, so notifying commits are flushed one
 * at a time (measured: commit throughput of outbox writers halved at 8 and 32 connections); a busy
 * loop unregisters, and writers then notify nobody. Each INSERT into the outbox wakes idle relays
 * (channel `herald_outbox`, a statement trigger, so every writer notifies, whatever its build).
 */
const OUTBOX_NOTIFY_SQL = `
CREATE UNLOGGED TABLE IF NOT EXISTS idle_listeners (
  channel text NOT NULL,
  pid integer NOT NULL,
  since timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, pid)
);
CREATE OR REPLACE FUNCTION wake_idle_listeners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM idle_listeners WHERE channel = TG_ARGV[0]) THEN
    PERFORM pg_notify(TG_ARGV[0], TG_TABLE_SCHEMA);
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS outbox_wake_relays ON outbox;
CREATE TRIGGER outbox_wake_relays AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION wake_idle_listeners('herald_outbox');
`;

/**
 * Each row's Avro body, encoded by its writer with the schema its fingerprint names (which enqueue
 * validates it against anyway): the relay only adds the registry's 5-byte header. Rows written
 * before have none and are encoded from their JSON payload, as before. Nullable without a default:
 * adding it rewrites nothing.
 */
const OUTBOX_BODY_SQL = `
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS body bytea;
`;

/** Idempotent DDL for the outbox (and relay state), the inbox and parked keys; services run these as migrations. */
export const outboxMigrations: readonly { id: string; sql: string }[] = Object.freeze([
  { id: "outbox-001-outbox", sql: OUTBOX_SQL },
  { id: "outbox-002-inbox", sql: INBOX_SQL },
  { id: "outbox-003-inbox-retention", sql: INBOX_RETENTION_SQL },
  { id: "outbox-004-consumer-parked-keys", sql: CONSUMER_PARKED_KEYS_SQL },
  { id: "outbox-005-relay-parking", sql: RELAY_PARKING_SQL },
  { id: "outbox-006-wake-idle-listeners", sql: OUTBOX_NOTIFY_SQL },
  { id: "outbox-007-encoded-bodies", sql: OUTBOX_BODY_SQL },
]);
