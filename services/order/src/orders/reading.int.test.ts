import { createMetadata } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import { describe, expect, it } from "vitest";
import { harnessPerTest, nothingWritten, placeOrder } from "../testing/harness.js";
import type { OrderEvent } from "./domain.js";
import { appendToStream } from "./event-store.js";

/** Reading orders: the current view, the history, the state as of a past moment, and the catalog. */

const h = harnessPerTest({ poolSize: 12 });

/** When the database recorded the given version of the order's stream. */
async function recordedAt(id: string, version: number): Promise<Date> {
  const events = (await h.customer(`/orders/${id}/history`)).json().events;
  return new Date(events[version - 1].recordedAt);
}

/** Waits until the database's clock is past `at` at millisecond resolution (the API's). */
async function databaseClockPasses(at: Date): Promise<void> {
  for (;;) {
    const { rows } = await h.pool.query<{ passed: boolean }>(
      "SELECT clock_timestamp() >= $1::timestamptz + interval '1 millisecond' AS passed",
      [at],
    );
    if (rows[0]!.passed) return;
  }
}

const asOf = (id: string, at: Date) =>
  h.customer(`/orders/${id}?asOf=${encodeURIComponent(at.toISOString())}`);

describe("reading orders", () => {
  it("answers 404 for an unknown order and 400 for a malformed id", async () => {
    const unknown = "8d3c6c9e-2f0b-4b0f-9a59-2b1f7f7f0d11";
    for (const url of [`/orders/${unknown}`, `/orders/${unknown}/history`]) {
      const response = await h.customer(url);
      expect([response.statusCode, response.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
      expect(response.json().message).toContain(unknown);
    }
    const cancel = await h.customer({ method: "POST", url: `/orders/${unknown}/cancel` });
    expect([cancel.statusCode, cancel.json().code]).toEqual([404, "ORDER_NOT_FOUND"]);
    const malformed = await h.customer("/orders/42");
    expect([malformed.statusCode, malformed.json().message]).toEqual([
      400,
      'params/id must match format "uuid"',
    ]);
    const badAsOf = await h.customer(`/orders/${unknown}?asOf=yesterday`);
    expect(badAsOf.statusCode).toBe(400);
    await nothingWritten(h);
  });

  it("shows the state as of a past moment, by the database's clock", async () => {
    const id = await placeOrder(h);
    const placedAt = await recordedAt(id, 1);
    await databaseClockPasses(placedAt);
    expect((await h.customer({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);
    const cancelledAt = await recordedAt(id, 2);

    expect((await asOf(id, new Date(placedAt.getTime() - 1))).statusCode).toBe(404);
    expect((await asOf(id, placedAt)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, new Date(cancelledAt.getTime() - 1))).json()).toMatchObject({
      status: "PLACED",
      version: 1,
    });
    expect((await asOf(id, cancelledAt)).json()).toMatchObject({
      status: "CANCELLED",
      version: 2,
      cancellation: { reason: "CUSTOMER_REQUEST" },
    });
    expect((await h.customer(`/orders/${id}`)).json()).toEqual(
      (await asOf(id, new Date("2100-01-01T00:00:00Z"))).json(),
    );
  });

  it("folds the prefix recorded by asOf even when the instances' clocks disagree", async () => {
    // The instance that places the order runs an hour fast, the one that cancels it is on time:
    // by occurred_at the cancellation comes first, by the database it comes second.
    h.setNow(new Date(Date.now() + 3_600_000));
    const id = await placeOrder(h);
    const placedAt = await recordedAt(id, 1);
    await databaseClockPasses(placedAt);
    h.setNow(undefined);
    expect((await h.customer({ method: "POST", url: `/orders/${id}/cancel` })).statusCode).toBe(200);
    const cancelledAt = await recordedAt(id, 2);

    // Still before the placement's occurred_at: filtering by it folded a stream of a lone cancellation (500).
    const after = await asOf(id, new Date(cancelledAt.getTime() + 1_000));
    expect([after.statusCode, after.json()]).toEqual([
      200,
      expect.objectContaining({ status: "CANCELLED", version: 2 }),
    ]);
    const between = await asOf(id, placedAt);
    expect([between.statusCode, between.json()]).toEqual([
      200,
      expect.objectContaining({ status: "PLACED", version: 1 }),
    ]);
    expect((await asOf(id, new Date(placedAt.getTime() - 1))).statusCode).toBe(404);
  });

  it("stops the prefix at the first version recorded after asOf, though a later one was recorded before", async () => {
    // A transaction that began first may append the later version: recorded_at is its start.
    const id = await placeOrder(h);
    const placed = (await h.customer(`/orders/${id}/history`)).json().events[0].data;
    const next = (type: "OrderConfirmed" | "OrderCancelled"): OrderEvent =>
      ({
        type,
        data: {
          ...placed,
          metadata: createMetadata({ producer: "order", cause: placed.metadata }),
          ...(type === "OrderCancelled" ? { reason: "CUSTOMER_REQUEST", detail: null } : {}),
        },
      }) as OrderEvent;
    const early = await h.pool.connect();
    try {
      await early.query("BEGIN");
      const { rows } = await early.query<{ began: Date }>("SELECT now() AS began");
      await databaseClockPasses(rows[0]!.began);
      await withTransaction(h.pool, (tx) => appendToStream(tx, id, 1, [next("OrderConfirmed")]));
      await appendToStream(early, id, 2, [next("OrderCancelled")]);
      await early.query("COMMIT");
    } finally {
      early.release();
    }
    const [v1, v2, v3] = [await recordedAt(id, 1), await recordedAt(id, 2), await recordedAt(id, 3)];
    expect(v3.getTime()).toBeLessThan(v2.getTime());
    expect((await asOf(id, v3)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, v1)).json()).toMatchObject({ status: "PLACED", version: 1 });
    expect((await asOf(id, v2)).json()).toMatchObject({ status: "CANCELLED", version: 3 });
  });

  it("refuses an asOf that is no real instant with 400", async () => {
    const id = await placeOrder(h);
    for (const bad of [
      "2016-12-31T23:59:60Z",
      "2016-12-31T23:59:60.5+00:00",
      "2025-02-30T10:00:00Z",
      "2025-13-01T10:00:00Z",
      "2025-03-01T24:00:00Z",
      "2025-03-01",
      "2025-03-01T10:00:00\u0000Z",
    ]) {
      const response = await h.customer(`/orders/${id}?asOf=${encodeURIComponent(bad)}`);
      expect([bad, response.statusCode, response.json().code]).toEqual([bad, 400, expect.any(String)]);
      expect(response.json().message).toMatch(/querystring\/asOf/);
    }
    // The ends of the range are real instants: before the order existed, and its current state.
    expect((await asOf(id, new Date("0000-01-01T00:00:00Z"))).statusCode).toBe(404);
    expect((await asOf(id, new Date("9999-12-31T23:59:59.999Z"))).json()).toMatchObject({ version: 1 });
    expect(await h.count("order_events")).toBe(1);
  });

  it("lists the catalog", async () => {
    const response = await h.customer("/catalog");
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toHaveLength(6);
    expect(response.json().items).toContainEqual({
      sku: "HRL-MUG-BLUE",
      name: "Herald mug, blue",
      unitPrice: { amountMinor: 1290, currency: "EUR" },
    });
  });
});
