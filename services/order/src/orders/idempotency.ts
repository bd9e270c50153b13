import { createHash } from "node:crypto";
import type pg from "pg";
import { OrderError } from "../errors.js";

export interface StoredResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/** Same JSON value, same hash: key order and whitespace do not matter. */
export function requestHash(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Claims `key` for this transaction, or returns the response stored by the request that claimed
 * it first. A concurrent request with the same key waits on the uncommitted row until the first
 * commits (then replays its response) or rolls back (then claims the key itself), so one key
 * creates one order. The same key with a different body is ORDER_IDEMPOTENCY_KEY_REUSED.
 */
export async function claimIdempotencyKey(
  tx: pg.ClientBase,
  key: string,
  hash: string,
): Promise<StoredResponse | undefined> {
  const claimed = await tx.query(
    "INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    [key, hash],
  );
  if (claimed.rowCount === 1) return undefined;
  const { rows } = await tx.query<{ request_hash: string; status_code: number; response: unknown }>(
    "SELECT request_hash, status_code, response FROM idempotency_keys WHERE key = $1",
    [key],
  );
  const stored = rows[0];
  // Deleted by the retention purge between the two statements: a fresh claim is the honest answer.
  if (!stored) return claimIdempotencyKey(tx, key, hash);
  if (stored.request_hash !== hash)
    throw new OrderError(
      "ORDER_IDEMPOTENCY_KEY_REUSED",
      "this Idempotency-Key was already used with a different request body; use a new key for a new request",
      { details: [{ path: "headers/idempotency-key", message: "was used with a different body" }] },
    );
  return { statusCode: stored.status_code, body: stored.response };
}

export async function saveIdempotentResponse(
  tx: pg.ClientBase,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await tx.query("UPDATE idempotency_keys SET status_code = $2, response = $3 WHERE key = $1", [
    key,
    response.statusCode,
    JSON.stringify(response.body),
  ]);
}

/** Forgets keys older than `olderThanMs`; returns how many. */
export async function purgeIdempotencyKeys(pool: pg.Pool, olderThanMs: number): Promise<number> {
  const result = await pool.query(
    "DELETE FROM idempotency_keys WHERE created_at < now() - $1 * interval '1 millisecond'",
    [olderThanMs],
  );
  return result.rowCount ?? 0;
}
