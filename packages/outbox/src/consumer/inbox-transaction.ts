import type { DomainEvent } from "@herald/events";
import type pg from "pg";
import { OutboxError } from "../errors.js";
import { abandonRedrive, type RedriveMark, unparkKey } from "../parked-keys.js";
import type { ConsumerContext } from "./context.js";
import { parkRule } from "./park-rules.js";
import { handlerFailure, infrastructureFailure } from "./retries.js";

const INBOX_INSERT = "INSERT INTO inbox (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
/**
 * The locking read of the message key's park and, when the key is not parked, the inbox insert, in
 * one round trip (the common case; a parked key takes the separate steps). The insert runs whether
 * or not the final SELECT reads it, and sees the same snapshot as the read of the park.
 */
const CLAIM_UNLESS_PARKED = `
WITH parked AS (
  SELECT redrive_token FROM consumer_parked_keys WHERE consumer_group = $1 AND message_key = $3 FOR UPDATE
), inserted AS (
  INSERT INTO inbox (consumer_group, event_id)
  SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM parked)
  ON CONFLICT DO NOTHING RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM parked) AS parked, (SELECT redrive_token FROM parked) AS redrive_token,
       EXISTS (SELECT 1 FROM inserted) AS inserted`;

/**
 * One attempt in one transaction: records (group, eventId) in the inbox and runs the handler, so a
 * redelivered event changes nothing twice and whatever the handler enqueues commits with its
 * changes. "parked" when the message's key is parked and the message does not belong to the
 * redrive that releases it (see {@link parkRule}).
 */
export async function handleInTransaction(
  ctx: ConsumerContext,
  event: DomainEvent,
  key: string | undefined,
  redrive: RedriveMark | undefined,
): Promise<"processed" | "duplicate" | "parked"> {
  const { groupId } = ctx.settings;
  const client = await ctx.pool.connect().catch((error: unknown) => {
    throw infrastructureFailure(error);
  });
  const onError = () => {};
  client.on("error", onError);
  let broken = false;
  let inHandler = false;
  try {
    await client.query("BEGIN");
    const eventId = event.data.metadata.eventId;
    let inserted: boolean | undefined;
    if (key !== undefined) {
      const { rows } = await client.query<{
        parked: boolean;
        redrive_token: string | null;
        inserted: boolean;
      }>({ name: "herald-inbox-claim-v1", text: CLAIM_UNLESS_PARKED, values: [groupId, eventId, key] });
      const claim = rows[0]!;
      if (claim.parked) {
        const rule = parkRule(claim.redrive_token, redrive);
        if (!rule.apply) {
          if (rule.abandonRedrive) await abandonRedrive(client, groupId, key);
          await commit(client);
          return "parked";
        }
        if (rule.unparkWith !== undefined) await unparkKey(client, groupId, key, rule.unparkWith);
      } else inserted = claim.inserted;
    }
    inserted ??= ((await client.query(INBOX_INSERT, [groupId, eventId])).rowCount ?? 0) > 0;
    if (!inserted) {
      await commit(client);
      return "duplicate";
    }
    inHandler = true;
    await ctx.handle(event, client);
    inHandler = false;
    await commit(client);
    return "processed";
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    if (error instanceof OutboxError && !inHandler) throw error;
    throw inHandler ? handlerFailure(error) : infrastructureFailure(error);
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

/** Postgres answers COMMIT of an aborted transaction with ROLLBACK, not an error: check the tag. */
export async function commit(client: pg.ClientBase): Promise<void> {
  const result = await client.query("COMMIT");
  if (result.command !== "COMMIT") throw rolledBack();
}

/** A handler caught the error of a failed statement and returned: its transaction (or savepoint) is aborted. */
export function rolledBack(): OutboxError {
  return new OutboxError(
    "OUTBOX_TRANSACTION_ROLLED_BACK",
    "the transaction was rolled back at COMMIT: a statement in the handler failed and its error was caught (run it under withSavepoint)",
  );
}
