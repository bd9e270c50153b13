import type { DomainEvent } from "@herald/events";
import type { KafkaMessage } from "kafkajs";
import type pg from "pg";
import { keyOf } from "./park-rules.js";

/**
 * One round trip for a chunk of messages: locks the parked rows of the chunk's keys, finds the first
 * message whose key is parked (the chunk ends before it: parked keys take the one-by-one path), and
 * records the event ids of the messages before it in the inbox, returning the ones that were new.
 * An event id twice in the chunk is inserted once (ON CONFLICT DO NOTHING also within the statement).
 */
const CLAIM_CHUNK = `
WITH chunk AS (
  SELECT event_id, message_key, position
    FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS c(event_id, message_key, position)
), parked AS (
  SELECT message_key FROM consumer_parked_keys
   WHERE consumer_group = $1 AND message_key = ANY($3::text[]) FOR UPDATE
), cut AS (
  SELECT min(position) AS position FROM chunk JOIN parked USING (message_key)
), inserted AS (
  INSERT INTO inbox (consumer_group, event_id)
  SELECT $1, event_id FROM chunk WHERE position < coalesce((SELECT position FROM cut), $4)
  ON CONFLICT DO NOTHING RETURNING event_id
)
SELECT ((SELECT position FROM cut) - 1)::int AS takeable,
       coalesce((SELECT array_agg(event_id::text) FROM inserted), '{}') AS inserted`;

const FORGET = "DELETE FROM inbox WHERE consumer_group = $1 AND event_id = ANY($2::uuid[])";

export interface ChunkClaim {
  /** How many of the chunk's first messages it may take: those before the first of a parked key. */
  readonly takeable: number;
  /** Event ids this transaction recorded in the inbox (the others are duplicates). */
  readonly inserted: Set<string>;
}

export async function claimChunk(
  tx: pg.ClientBase,
  groupId: string,
  messages: readonly KafkaMessage[],
  events: readonly DomainEvent[],
): Promise<ChunkClaim> {
  const { rows } = await tx.query<{ takeable: number | null; inserted: string[] }>({
    name: "herald-inbox-claim-chunk-v1",
    text: CLAIM_CHUNK,
    values: [
      groupId,
      events.map((event) => event.data.metadata.eventId),
      events.map((_, i) => keyOf(messages[i]!) ?? null),
      events.length + 1,
    ],
  });
  const row = rows[0]!;
  return { takeable: row.takeable ?? events.length, inserted: new Set(row.inserted) };
}

/** Takes back the inbox entries of messages the chunk recorded but ends before handling. */
export async function forgetClaims(tx: pg.ClientBase, groupId: string, eventIds: Set<string>): Promise<void> {
  if (eventIds.size > 0) await tx.query(FORGET, [groupId, [...eventIds]]);
}
