import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { testTokens } from "@herald/service-kit/testing";
import { orderRequest } from "../client.js";

/**
 * The chaos test's load: a mix of order kinds, each with the outcome its payment token and stock
 * call for, placed at a steady rate by a careful client that retries with its Idempotency-Key.
 */

/** How long a refused POST keeps being retried (with its Idempotency-Key) after the load stopped. */
const RETRY_AFTER_STOP_MS = 60_000;

export const MUG = "HRL-MUG-BLUE";
export const TEE = "HRL-TEE-BLACK-M";
export const STICKERS = "HRL-STICKER-PACK";
/** Kept at zero on hand: orders including it are cancelled as out of stock, their other lines unreserved. */
export const POSTER = "HRL-POSTER-A2";
export const SKUS = [MUG, TEE, STICKERS, POSTER] as const;

interface Kind {
  readonly token: string;
  readonly items: readonly { sku: string; quantity: number }[];
  readonly expected: { status: "CONFIRMED" } | { status: "CANCELLED"; reason: string };
}

export const KINDS = {
  paid: {
    token: "tok_visa",
    items: [
      { sku: MUG, quantity: 1 },
      { sku: TEE, quantity: 2 },
    ],
    expected: { status: "CONFIRMED" },
  },
  declined: {
    token: "tok_declined",
    items: [{ sku: MUG, quantity: 2 }],
    expected: { status: "CANCELLED", reason: "PAYMENT_FAILED" },
  },
  flaky: {
    token: "tok_gateway_error",
    items: [{ sku: STICKERS, quantity: 3 }],
    expected: { status: "CONFIRMED" },
  },
  soldOut: {
    token: "tok_visa",
    items: [
      { sku: TEE, quantity: 1 },
      { sku: POSTER, quantity: 1 },
    ],
    expected: { status: "CANCELLED", reason: "OUT_OF_STOCK" },
  },
} as const satisfies Record<string, Kind>;
export type KindName = keyof typeof KINDS;
/** The order the figures table lists the kinds in. */
export const KINDS_ORDER: readonly KindName[] = ["paid", "flaky", "declined", "soldOut"];
const MIX: readonly KindName[] = ["paid", "declined", "paid", "flaky", "paid", "soldOut", "paid", "flaky"];

/** An order the load placed: what was asked, and the id the service answered with. */
export interface Placement {
  readonly kind: KindName;
  readonly email: string;
  orderId?: string;
  /** POST attempts, the accepted one included. */
  attempts: number;
  /** A 4xx other than a retryable one: a defect, reported at the end. */
  rejected?: string;
}

export interface LoadFigures {
  readonly placements: Placement[];
  /** POSTs refused (connection refused, 5xx, timeout) and retried with the same Idempotency-Key. */
  refused: number;
  /** Retried POSTs answered with the stored first response (`idempotent-replayed`). */
  replayed: number;
}

/**
 * Places one order as a careful client does: one Idempotency-Key for the order, retried with
 * backoff while the service is away, until it is accepted, refused for good, or `giveUp()` holds.
 */
async function place(
  ordersUrl: string,
  kind: KindName,
  figures: LoadFigures,
  giveUp: () => boolean,
): Promise<Placement> {
  const email = `chaos-${kind}-${randomUUID()}@example.com`;
  const placement: Placement = { kind, email, attempts: 0 };
  figures.placements.push(placement);
  const request = orderRequest({
    email,
    token: KINDS[kind].token,
    items: KINDS[kind].items.map((item) => ({ ...item })),
  });
  const body = JSON.stringify(request);
  const customer = await testTokens.customer(request.customerId, request.customerEmail);
  const key = randomUUID();
  for (let backoff = 200; !giveUp(); backoff = Math.min(backoff * 2, 2_000)) {
    placement.attempts += 1;
    const answer = await fetch(ordersUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": key,
        authorization: `Bearer ${customer}`,
      },
      body,
      signal: AbortSignal.timeout(10_000),
    }).then(
      async (response) => ({ response, text: await response.text() }),
      () => undefined,
    );
    if (answer?.response.status === 202) {
      placement.orderId = (JSON.parse(answer.text) as { orderId: string }).orderId;
      if (answer.response.headers.get("idempotent-replayed") === "true") figures.replayed += 1;
      return placement;
    }
    const status = answer?.response.status;
    if (status !== undefined && status < 500 && ![408, 409, 429].includes(status)) {
      placement.rejected = `${status} ${answer?.text}`;
      return placement;
    }
    figures.refused += 1;
    await sleep(backoff);
  }
  return placement;
}

/**
 * Orders at a steady rate in the background, with the kinds' mix, until stopped; `ordersUrl` is the
 * order service's /orders.
 */
export function startLoad(ordersUrl: string, perSecond: number) {
  const figures: LoadFigures = { placements: [], refused: 0, replayed: 0 };
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  let giveUpAt = Number.POSITIVE_INFINITY;
  const giveUp = () => Date.now() > giveUpAt;
  const started = Date.now();
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const due = started + (i * 1_000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const placing = place(ordersUrl, MIX[i % MIX.length]!, figures, giveUp);
      inFlight.add(placing);
      void placing.finally(() => inFlight.delete(placing));
    }
  })();
  return {
    figures,
    /** Places one order outside the stream (a probe) through the same careful client, for at most `withinMs`. */
    probe: (withinMs: number) => {
      const deadline = Date.now() + withinMs;
      return place(ordersUrl, "paid", figures, () => giveUp() || Date.now() > deadline);
    },
    async stop(): Promise<void> {
      stopping = true;
      giveUpAt = Date.now() + RETRY_AFTER_STOP_MS;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

export type Load = ReturnType<typeof startLoad>;
/** A placement the order service accepted. */
export type Accepted = Placement & { orderId: string };
