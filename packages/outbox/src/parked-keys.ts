import type { IHeaders } from "kafkajs";
import type pg from "pg";
import { HEADERS } from "./headers.js";

/**
 * A key (aggregate id) of a consumer group whose message was dead-lettered. While it is parked the
 * group applies none of the key's later messages: they follow it to the dead-letter topic, so its
 * events are never applied out of order. A redrive releases it.
 */
export interface ParkedKey {
  readonly groupId: string;
  readonly key: string;
  readonly parkedAt: Date;
  /** Why the message that parked it was dead-lettered. */
  readonly errorCode: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Set while a redrive of the key is under way. */
  readonly redriveToken: string | null;
}

/** Headers a redrive puts on the messages it re-publishes. */
export interface RedriveMark {
  readonly token: string;
  /** The redrive's last message of its key: handling it unparks the key. */
  readonly last: boolean;
}

type Queryable = Pick<pg.ClientBase, "query">;

export function redriveMarkOf(headers: IHeaders | undefined): RedriveMark | undefined {
  const token = headers?.[HEADERS.redriveToken];
  if (token === undefined) return undefined;
  return { token: String(token), last: String(headers?.[HEADERS.redriveLast]) === "true" };
}

/** The key's parking row, locked until the transaction ends; undefined when it is not parked. */
export async function readParkedKey(
  tx: Queryable,
  groupId: string,
  key: string,
): Promise<{ redriveToken: string | null } | undefined> {
  const { rows } = await tx.query<{ redrive_token: string | null }>(
    "SELECT redrive_token FROM consumer_parked_keys WHERE consumer_group = $1 AND message_key = $2 FOR UPDATE",
    [groupId, key],
  );
  return rows[0] ? { redriveToken: rows[0].redrive_token } : undefined;
}

/** Parks `key`, or records the newer failure of a parked one; either way no redrive is under way any more. */
export async function parkKey(
  db: Queryable,
  groupId: string,
  key: string,
  cause: { errorCode: string; topic: string; partition: number; offset: string },
): Promise<void> {
  await db.query(
    `INSERT INTO consumer_parked_keys (consumer_group, message_key, error_code, topic, partition, message_offset)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (consumer_group, message_key) DO UPDATE
       SET error_code = EXCLUDED.error_code, topic = EXCLUDED.topic, partition = EXCLUDED.partition,
           message_offset = EXCLUDED.message_offset, parked_at = now(), redrive_token = NULL`,
    [groupId, key, cause.errorCode, cause.topic, cause.partition, cause.offset],
  );
}

/** A live message of the key arrived during its redrive, and followed it to the DLQ: that redrive can no longer release it. */
export async function abandonRedrive(tx: Queryable, groupId: string, key: string): Promise<void> {
  await tx.query(
    "UPDATE consumer_parked_keys SET redrive_token = NULL WHERE consumer_group = $1 AND message_key = $2",
    [groupId, key],
  );
}

export async function unparkKey(tx: Queryable, groupId: string, key: string, token: string): Promise<void> {
  await tx.query(
    "DELETE FROM consumer_parked_keys WHERE consumer_group = $1 AND message_key = $2 AND redrive_token = $3",
    [groupId, key, token],
  );
}

/** Marks the parked keys among `keys` as redriven under `token`; returns the ones that were parked. */
export async function startRedrive(
  db: Queryable,
  groupId: string,
  keys: readonly string[],
  token: string,
): Promise<string[]> {
  const { rows } = await db.query<{ message_key: string }>(
    `UPDATE consumer_parked_keys SET redrive_token = $3
      WHERE consumer_group = $1 AND message_key = ANY($2::text[]) RETURNING message_key`,
    [groupId, keys, token],
  );
  return rows.map((row) => row.message_key);
}

export async function listParkedKeys(db: Queryable, groupId: string): Promise<ParkedKey[]> {
  const { rows } = await db.query<{
    message_key: string;
    parked_at: Date;
    error_code: string;
    topic: string;
    partition: number;
    message_offset: string;
    redrive_token: string | null;
  }>(
    `SELECT message_key, parked_at, error_code, topic, partition, message_offset::text, redrive_token
       FROM consumer_parked_keys WHERE consumer_group = $1 ORDER BY parked_at, message_key`,
    [groupId],
  );
  return rows.map((row) => ({
    groupId,
    key: row.message_key,
    parkedAt: row.parked_at,
    errorCode: row.error_code,
    topic: row.topic,
    partition: row.partition,
    offset: row.message_offset,
    redriveToken: row.redrive_token,
  }));
}
