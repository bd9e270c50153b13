import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Stack } from "@herald/dev-stack";
import { type Seen, STEPS, terminalOf } from "./watch.js";

/** One offered load of the saga benchmark: orders sent on schedule, and what they measured. */

/** An order not CONFIRMED or CANCELLED this long after it was due is stuck. */
const TERMINAL_WITHIN_MS = 30_000;

export interface LoadResult {
  readonly offered: number;
  readonly orders: number;
  /** Orders that reached CONFIRMED / CANCELLED, and those that did not within 30 s. */
  readonly confirmed: number;
  readonly cancelled: number;
  readonly stuck: number;
  /** POSTs not answered 202. */
  readonly refused: number;
  /** Why, by answer ("400 ORDER_INVALID", "network: …") and how often: a refused load says what refused it. */
  readonly refusals: ReadonlyMap<string, number>;
  /** Orders terminal in time per second, from the first one terminal to the last. */
  readonly sustained: number;
  /** Due time (the schedule, not the send) → OrderConfirmed seen on Kafka, ms, ascending. */
  readonly toConfirmed: number[];
  /** Due time → 202, ms, ascending. */
  readonly post: number[];
  /** Per hop (due → OrderPlaced → InventoryReserved → PaymentProcessed → OrderConfirmed on Kafka), ms, ascending. */
  readonly hops: number[][];
}

/** A load is held when every order is terminal in time, every POST was accepted, and the rate kept up. */
export function held(result: LoadResult): boolean {
  return result.stuck === 0 && result.refused === 0 && result.sustained >= 0.95 * result.offered;
}

/**
 * Sends `perSecond` orders for `seconds` on schedule (each due at its slot, sent whatever earlier
 * ones are doing), then waits until every accepted order is terminal or 30 s past its due time.
 */
export async function offer(
  stack: Stack,
  seen: Seen,
  perSecond: number,
  seconds: number,
  order: () => { body: string; token: string },
  progress: (done: string) => void,
): Promise<LoadResult> {
  const url = `${stack.serviceUrl("order")}/orders`;
  const total = Math.round(perSecond * seconds);
  const placed: { due: number; orderId?: string; answeredAt?: number }[] = [];
  const sends: Promise<void>[] = [];
  const refusals = new Map<string, number>();
  const refuse = (why: string): void => {
    refusals.set(why, (refusals.get(why) ?? 0) + 1);
  };
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const entry: (typeof placed)[number] = { due };
    placed.push(entry);
    const { body, token } = order();
    sends.push(
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(TERMINAL_WITHIN_MS),
      })
        .then(async (response) => {
          const text = await response.text();
          if (response.status === 202) {
            entry.orderId = (JSON.parse(text) as { orderId: string }).orderId;
            entry.answeredAt = performance.now();
          } else refuse(`${response.status} ${text.match(/"code":"([A-Z_]+)"/)?.[1] ?? text.slice(0, 80)}`);
        })
        .catch((error: Error) => refuse(`network: ${error.message}`)),
    );
    if (i % perSecond === 0) progress(`sending (${i}/${total})`);
  }
  await Promise.all(sends);
  for (;;) {
    const open = placed.filter((p) => p.orderId && !terminalOf(seen, p.orderId));
    const overdue = open.every((p) => performance.now() - p.due > TERMINAL_WITHIN_MS);
    if (open.length === 0 || overdue) break;
    progress(`waiting for ${open.length} orders to be terminal`);
    await sleep(200);
  }
  const accepted = placed.filter((p) => p.orderId);
  const ends = accepted.map((p) => terminalOf(seen, p.orderId!));
  // Each hop's latency over the confirmed orders: due → placed on Kafka → reserved → charged → confirmed.
  const hops = [0, 1, 2, 3].map((hop) =>
    accepted
      .flatMap((p) => {
        const steps = seen.get(p.orderId!);
        const from = hop === 0 ? p.due : steps?.get(STEPS[hop - 1]!);
        const to = steps?.get(STEPS[hop]!);
        return from === undefined || to === undefined ? [] : [to - from];
      })
      .sort((a, b) => a - b),
  );
  const inTime = accepted.filter((p, i) => ends[i] && ends[i]!.at - p.due <= TERMINAL_WITHIN_MS);
  const times = ends.flatMap((end) => (end ? [end.at] : []));
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return {
    offered: perSecond,
    orders: total,
    confirmed: ends.filter((end) => end?.type === "OrderConfirmed").length,
    cancelled: ends.filter((end) => end?.type === "OrderCancelled").length,
    stuck: accepted.length - inTime.length,
    refused: total - accepted.length,
    refusals,
    // n orders terminal over a span holds n - 1 intervals.
    sustained: span > 0 ? (inTime.length - 1) / span : 0,
    toConfirmed: accepted
      .map((p, i) => (ends[i]?.type === "OrderConfirmed" ? ends[i]!.at - p.due : Number.NaN))
      .filter((ms) => !Number.isNaN(ms))
      .sort((a, b) => a - b),
    post: accepted.map((p) => p.answeredAt! - p.due).sort((a, b) => a - b),
    hops,
  };
}
