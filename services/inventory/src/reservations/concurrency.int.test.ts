import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, orderLine, orderPlaced } from "../testing/harness.js";

// Separate connections racing: each handler call runs in its own transaction on its own pooled
// connection. Kept below the machine's shared Postgres connection budget.
const CONNECTIONS = 25;

let h: Harness;

beforeAll(async () => {
  h = await createHarness({ poolSize: CONNECTIONS });
});
afterAll(async () => {
  await h?.close();
});

/** Samples the stock table while the race runs: no committed row may ever be negative or oversold. */
function watchStock() {
  let stopped = false;
  let worst = { minAvailable: Number.POSITIVE_INFINITY, minOnHand: Number.POSITIVE_INFINITY, samples: 0 };
  const watching = (async () => {
    while (!stopped) {
      const { rows } = await h.pool.query<{ available: number; on_hand: number }>(
        "SELECT on_hand - reserved AS available, on_hand FROM stock",
      );
      for (const row of rows)
        worst = {
          minAvailable: Math.min(worst.minAvailable, row.available),
          minOnHand: Math.min(worst.minOnHand, row.on_hand),
          samples: worst.samples,
        };
      worst.samples += 1;
    }
  })();
  return async () => {
    stopped = true;
    await watching;
    return worst;
  };
}

async function outcomes(orderIds: readonly string[]) {
  const rows = await h.outbox();
  const ours = new Set(orderIds);
  const relevant = rows.filter((row) => ours.has(row.data.orderId));
  return {
    reserved: relevant.filter((row) => row.type === "InventoryReserved"),
    failed: relevant.filter((row) => row.type === "InventoryReservationFailed"),
  };
}

describe("orders racing for the last units", () => {
  it("50 orders for 10 units of one SKU: exactly 10 reserved, 40 refused, never oversold", async () => {
    await h.setStock("RACE-ONE", 10);
    const orderIds = Array.from({ length: 50 }, () => randomUUID());
    const stop = watchStock();
    const results = await Promise.allSettled(
      orderIds.map((orderId) => h.handle(orderPlaced(orderId, [orderLine("RACE-ONE", 1)]))),
    );
    const watched = await stop();

    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(await h.stock("RACE-ONE")).toEqual({ onHand: 10, reserved: 10 });
    const { reserved, failed } = await outcomes(orderIds);
    expect(reserved).toHaveLength(10);
    expect(failed).toHaveLength(40);
    for (const row of failed)
      expect(row.data).toMatchObject({ unavailableSkus: [{ sku: "RACE-ONE", requested: 1, available: 0 }] });
    const { rows } = await h.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM reservations WHERE order_id = ANY($1) GROUP BY status ORDER BY status",
      [orderIds],
    );
    expect(rows).toEqual([
      { status: "FAILED", n: 40 },
      { status: "RESERVED", n: 10 },
    ]);
    expect(watched.minAvailable).toBeGreaterThanOrEqual(0);
    expect(watched.samples).toBeGreaterThan(0);
  });

  it("multi-line orders sharing SKUs in every order: no deadlock, each all or nothing, never oversold", async () => {
    const skus = ["RACE-A", "RACE-B", "RACE-C", "RACE-D"];
    const initial = { "RACE-A": 12, "RACE-B": 9, "RACE-C": 15, "RACE-D": 7 } as Record<string, number>;
    for (const sku of skus) await h.setStock(sku, initial[sku]!);
    // Lines listed in different orders (rotated, reversed) so naive locking in line order would deadlock.
    const orders = Array.from({ length: 50 }, (_, i) => {
      const rotated = [...skus.slice(i % 4), ...skus.slice(0, i % 4)];
      const picked = (i % 2 === 0 ? rotated : rotated.reverse()).slice(0, 2 + (i % 3));
      return { orderId: randomUUID(), lines: picked.map((sku, j) => orderLine(sku, 1 + ((i + j) % 3))) };
    });
    const stop = watchStock();
    const results = await Promise.allSettled(
      orders.map(({ orderId, lines }) => h.handle(orderPlaced(orderId, lines))),
    );
    const watched = await stop();

    // A deadlock would surface as a rejected handler call (Postgres aborts one of the two).
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const { reserved, failed } = await outcomes(orders.map((o) => o.orderId));
    expect(reserved.length + failed.length).toBe(50);
    expect(reserved.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);

    // All or nothing: the reserved counters are exactly the sum of the reserved orders' lines.
    const reservedIds = new Set(reserved.map((row) => row.data.orderId));
    for (const sku of skus) {
      const held = orders
        .filter((o) => reservedIds.has(o.orderId))
        .flatMap((o) => o.lines)
        .filter((line) => line.sku === sku)
        .reduce((sum, line) => sum + line.quantity, 0);
      const level = await h.stock(sku);
      expect(level).toEqual({ onHand: initial[sku], reserved: held });
      expect(level.reserved).toBeLessThanOrEqual(level.onHand);
    }
    // Each refusal named a line that was really short at the time, and reserved none of its lines.
    for (const row of failed) {
      const short = row.data.unavailableSkus as { requested: number; available: number }[];
      expect(short.length).toBeGreaterThan(0);
      for (const line of short) expect(line.available).toBeLessThan(line.requested);
    }
    expect(watched.minAvailable).toBeGreaterThanOrEqual(0);
  });
});
