import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { PaymentFailureReason } from "@herald/events";
import { type Migration, withTransaction } from "@herald/service-kit";
import type pg from "pg";
import { PaymentError } from "../errors.js";
import type { ChargeRequest, ChargeResult, GatewayCall, PaymentGateway, RefundRequest } from "./gateway.js";

/**
 * The simulated processor's own ledger: one row per idempotency key. It stands in for the
 * processor's side, so it survives the service's restarts just as a real processor's records do.
 */
export const simulatorMigrations: readonly Migration[] = [
  {
    id: "payment-gateway-simulator-001-ledger",
    sql: `
      CREATE TABLE gateway_simulator_ledger (
        idempotency_key text PRIMARY KEY,
        operation text NOT NULL CHECK (operation IN ('charge', 'refund')),
        token text,
        charge_key text,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        -- Every call with this key, the first included; the result below is set once.
        calls integer NOT NULL DEFAULT 1,
        result text CHECK (result IN ('succeeded', 'declined')),
        reason text,
        detail text,
        reference text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz
      );`,
  },
];

const DECLINES: Readonly<Record<string, { reason: PaymentFailureReason; detail: string }>> = {
  tok_declined: { reason: "CARD_DECLINED", detail: "the card issuer declined the charge" },
  tok_insufficient_funds: { reason: "INSUFFICIENT_FUNDS", detail: "the card has insufficient funds" },
  tok_expired: { reason: "CARD_EXPIRED", detail: "the card has expired" },
};
const SUCCEEDS = new Set(["tok_visa", "tok_mastercard"]);
/** What the processor accepts as a token at all; anything else is refused as a bad request. */
const TOKEN = /^tok_[A-Za-z0-9_]{1,64}$/;
/** Fails with an answered, transient error on the first call with each key, then succeeds. */
const FLAKY = "tok_gateway_error";

interface LedgerRow {
  operation: "charge" | "refund";
  token: string | null;
  charge_key: string | null;
  amount_minor: string;
  currency: string;
  calls: number;
  result: "succeeded" | "declined" | null;
  reason: PaymentFailureReason | null;
  detail: string | null;
  reference: string | null;
}

export interface SimulatedGatewayOptions {
  /** The database holding the simulator's ledger (the service's own, as a stand-in). */
  readonly pool: pg.Pool;
  /** How long each call takes, like a network round trip to a processor. */
  readonly latencyMs: number;
}

/**
 * A card processor simulated deterministically by token: tok_visa and tok_mastercard succeed;
 * tok_declined, tok_insufficient_funds and tok_expired are declined with that reason; any other
 * tok_* token is an invalid payment method, and anything that is no token at all is refused as a bad
 * request (PAYMENT_GATEWAY_REJECTED); tok_gateway_error fails transiently on the first call of each
 * charge. Idempotency keys are honoured: a repeated key gets the first result, never a second charge.
 * A call whose signal is aborted before the processor settled it settles nothing (its transaction
 * rolls back), as a request the caller withdrew in time.
 */
export function createSimulatedGateway(options: SimulatedGatewayOptions): PaymentGateway & {
  /** How many times each key was called and what it settled as: what a processor's dashboard shows. */
  ledger(key: string): Promise<{ calls: number; result: string | null; reference: string | null } | null>;
} {
  const { pool, latencyMs } = options;

  /** Records the call under its key; the row lock serialises concurrent calls with one key. */
  async function recordCall(
    tx: pg.ClientBase,
    key: string,
    row: Pick<LedgerRow, "operation" | "token" | "charge_key"> & { amountMinor: number; currency: string },
  ): Promise<LedgerRow> {
    const { rows } = await tx.query<LedgerRow>(
      `INSERT INTO gateway_simulator_ledger
         (idempotency_key, operation, token, charge_key, amount_minor, currency)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (idempotency_key) DO UPDATE SET calls = gateway_simulator_ledger.calls + 1
       RETURNING *`,
      [key, row.operation, row.token, row.charge_key, row.amountMinor, row.currency],
    );
    const recorded = rows[0]!;
    const same =
      recorded.operation === row.operation &&
      recorded.token === row.token &&
      recorded.charge_key === row.charge_key &&
      Number(recorded.amount_minor) === row.amountMinor &&
      recorded.currency === row.currency;
    if (!same)
      throw new PaymentError(
        "PAYMENT_GATEWAY_REJECTED",
        `idempotency key ${key} was first used for a different request`,
        { reason: "OTHER" },
      );
    return recorded;
  }

  async function settle(tx: pg.ClientBase, key: string, result: ChargeResult): Promise<void> {
    await tx.query(
      `UPDATE gateway_simulator_ledger
          SET result = $2, reason = $3, detail = $4, reference = $5, settled_at = now()
        WHERE idempotency_key = $1`,
      [
        key,
        result.status,
        result.status === "declined" ? result.reason : null,
        result.status === "declined" ? result.detail : null,
        result.status === "succeeded" ? result.reference : null,
      ],
    );
  }

  async function charge(request: ChargeRequest, { signal }: GatewayCall): Promise<ChargeResult> {
    await delay(latencyMs, undefined, { signal });
    const { idempotencyKey: key, token, amount } = request;
    if (!TOKEN.test(token))
      throw new PaymentError("PAYMENT_GATEWAY_REJECTED", "no such payment token", {
        reason: "INVALID_PAYMENT_METHOD",
      });
    const outcome = await withTransaction(pool, async (tx) => {
      const row = await recordCall(tx, key, {
        operation: "charge",
        token,
        charge_key: null,
        amountMinor: amount.amountMinor,
        currency: amount.currency,
      });
      if (row.result) return toResult(row);
      if (token === FLAKY && row.calls === 1) return "transient" as const;
      const result = decideCharge(token);
      await settle(tx, key, result);
      // A caller that gave up before the processor settled the call leaves nothing charged.
      signal.throwIfAborted();
      return result;
    });
    if (outcome === "transient")
      throw new PaymentError(
        "PAYMENT_GATEWAY_UNAVAILABLE",
        "the processor is temporarily unavailable; nothing was charged",
        { retryable: true },
      );
    return outcome;
  }

  return {
    charge,

    async findCharge(key, { signal }) {
      await delay(latencyMs, undefined, { signal });
      const { rows } = await pool.query<LedgerRow>(
        "SELECT * FROM gateway_simulator_ledger WHERE idempotency_key = $1 AND operation = 'charge'",
        [key],
      );
      const row = rows[0];
      return row?.result ? toResult(row) : null;
    },

    async refund(request: RefundRequest, { signal }: GatewayCall) {
      await delay(latencyMs, undefined, { signal });
      const { idempotencyKey: key, chargeKey, amount } = request;
      return withTransaction(pool, async (tx) => {
        const charged = await tx.query<LedgerRow>(
          `SELECT * FROM gateway_simulator_ledger
            WHERE idempotency_key = $1 AND operation = 'charge' AND result = 'succeeded'`,
          [chargeKey],
        );
        const original = charged.rows[0];
        if (
          !original ||
          Number(original.amount_minor) < amount.amountMinor ||
          original.currency !== amount.currency
        )
          throw new PaymentError(
            "PAYMENT_GATEWAY_REJECTED",
            `no charge ${chargeKey} of at least ${amount.amountMinor} ${amount.currency} to refund`,
            { reason: "OTHER" },
          );
        const row = await recordCall(tx, key, {
          operation: "refund",
          token: null,
          charge_key: chargeKey,
          amountMinor: amount.amountMinor,
          currency: amount.currency,
        });
        if (row.reference) return { reference: row.reference };
        const reference = `re_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
        await settle(tx, key, { status: "succeeded", reference });
        signal.throwIfAborted();
        return { reference };
      });
    },

    async ledger(key) {
      const { rows } = await pool.query<LedgerRow>(
        "SELECT calls, result, reference FROM gateway_simulator_ledger WHERE idempotency_key = $1",
        [key],
      );
      const row = rows[0];
      return row ? { calls: row.calls, result: row.result, reference: row.reference } : null;
    },
  };
}

function decideCharge(token: string): ChargeResult {
  if (SUCCEEDS.has(token) || token === FLAKY)
    return { status: "succeeded", reference: `ch_${randomUUID().replaceAll("-", "").slice(0, 24)}` };
  const decline = DECLINES[token];
  if (decline) return { status: "declined", ...decline };
  return { status: "declined", reason: "INVALID_PAYMENT_METHOD", detail: "the payment token is not known" };
}

function toResult(row: LedgerRow): ChargeResult {
  return row.result === "succeeded"
    ? { status: "succeeded", reference: row.reference! }
    : { status: "declined", reason: row.reason!, detail: row.detail };
}
