import type { EventData } from "@herald/events";
import { withTransaction } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import { describe, expect, it } from "vitest";
import { harnessPerTest, paymentProcessed, placeOrder } from "../testing/harness.js";
import { appendFolded, databaseClockPasses, foldFromScratch, moreEvents } from "../testing/streams.js";
import { orderDecider } from "./decider.js";
import { readStream } from "./event-store.js";
import { ORDER_FOLD_VERSION } from "./evolve.js";
import { createOrderHandler } from "./handler.js";
import { toView } from "./projection.js";
import { loadOrder } from "./snapshots.js";

/**
 * Snapshots of an order's state (every ORDER_SNAPSHOT_EVERY versions) spare reads the fold of the
 * whole stream; they must never change what a read answers, and one folded by other code (another
 * ORDER_FOLD_VERSION) must never be read.
 */

const h = harnessPerTest({ env: { ORDER_SNAPSHOT_EVERY: "5" } });

const placedData = async (id: string) =>
  (await readStream(h.pool, id))[0]!.event.data as EventData["OrderPlaced"];

const snapshots = async (id: string) =>
  (
    await h.pool.query<{ version: number; fold_version: string; state: unknown }>(
      "SELECT version, fold_version, state FROM order_snapshots WHERE order_id = $1 ORDER BY version",
      [id],
    )
  ).rows;

/** When the database recorded each version of the order, at the API's millisecond resolution. */
const recordedTimes = async (id: string) =>
  (
    await h.pool.query<{ at: Date }>(
      "SELECT date_trunc('milliseconds', recorded_at) AS at FROM order_events WHERE order_id = $1 ORDER BY version",
      [id],
    )
  ).rows.map((row) => row.at);

const asOf = (id: string, at: Date) =>
  h.customer(`/orders/${id}?asOf=${encodeURIComponent(at.toISOString())}`);

describe("order snapshots", () => {
  it("answers asOf at every point of a stream longer than the interval as the fold from the first event does", async () => {
    const id = await placeOrder(h);
    const placed = await placedData(id);
    let appended = 0;
    // Versions 4, 7, 8, 12, 18, 20, 24: the appends to 7, 12, 18 and 20 cross a multiple of 5.
    for (const size of [3, 3, 1, 4, 6, 2, 4]) {
      const times = await recordedTimes(id);
      await databaseClockPasses(h.pool, times.at(-1)!);
      await appendFolded(h.pool, id, moreEvents(placed, size, appended), 5);
      appended += size;
    }
    const stored = await snapshots(id);
    expect(stored.map((row) => [row.version, row.fold_version])).toEqual(
      [7, 12, 18, 20].map((version) => [version, ORDER_FOLD_VERSION]),
    );
    // Each snapshot, read back from jsonb, is the fold of its versions to the field.
    const events = (await readStream(h.pool, id)).map((recorded) => recorded.event);
    for (const row of stored)
      expect(row.state).toStrictEqual(foldFacts(orderDecider, null, events.slice(0, row.version)));

    const times = await recordedTimes(id);
    expect(times).toHaveLength(24);
    for (const at of times.flatMap((time) => [new Date(time.getTime() - 1), time])) {
      const fromScratch = await foldFromScratch(h.pool, id, at);
      expect(await loadOrder(h.pool, id, at)).toStrictEqual(fromScratch);
      const response = await asOf(id, at);
      if (fromScratch === null) expect(response.statusCode).toBe(404);
      else expect(response.json()).toStrictEqual(JSON.parse(JSON.stringify(toView(fromScratch))));
    }
    expect(await loadOrder(h.pool, id)).toStrictEqual(await foldFromScratch(h.pool, id));

    // A command decides on the snapshot and the events since: the same as on the whole fold. Its
    // append crosses 25, so the service (ORDER_SNAPSHOT_EVERY=5) stores a snapshot in its transaction.
    const cancel = await h.customer({ method: "POST", url: `/orders/${id}/cancel` });
    expect(cancel.json()).toMatchObject({ status: "CANCELLED", version: 25 });
    expect((await snapshots(id)).map((row) => row.version)).toEqual([7, 12, 18, 20, 25]);
    const current = await foldFromScratch(h.pool, id);
    expect(cancel.json()).toStrictEqual(JSON.parse(JSON.stringify(toView(current!))));
    expect((await h.customer(`/orders/${id}`)).json()).toStrictEqual(cancel.json());
  });

  it("reads the latest snapshot of this fold, and never one of another fold_version", async () => {
    const order = await placeOrder(h);
    // The payment service's fact, through a handler that stores a snapshot every 2 versions.
    const handler = createOrderHandler({ pool: h.pool, snapshotEvery: 2 });
    const placed = await placedData(order);
    await withTransaction(h.pool, (tx) => handler.react(paymentProcessed(order, placed.metadata), tx));
    // The handler's own append of version 2 stored it.
    expect((await snapshots(order)).map((row) => [row.version, row.fold_version])).toEqual([
      [2, ORDER_FOLD_VERSION],
    ]);

    const email = (await h.customer(`/orders/${order}`)).json().customerEmail;
    await h.pool.query(
      `UPDATE order_snapshots SET state = jsonb_set(state, '{customerEmail}', '"tampered@example.com"')
        WHERE order_id = $1`,
      [order],
    );
    const later = new Date(Date.now() + 60_000);
    // The snapshot is what the read starts from: a doctored one shows.
    expect((await asOf(order, later)).json()).toMatchObject({
      version: 2,
      customerEmail: "tampered@example.com",
    });

    await h.pool.query("UPDATE order_snapshots SET fold_version = 'order-fold-0' WHERE order_id = $1", [
      order,
    ]);
    const read = await asOf(order, later);
    expect(read.json()).toMatchObject({ version: 2, status: "CONFIRMED", customerEmail: email });
    expect(read.json()).toStrictEqual((await h.customer(`/orders/${order}`)).json());
    expect(await loadOrder(h.pool, order)).toStrictEqual(await foldFromScratch(h.pool, order));

    // Nor does a command decide on it.
    const cancel = await h.customer({ method: "POST", url: `/orders/${order}/cancel` });
    expect(cancel.json()).toMatchObject({ status: "CANCELLED", version: 3, customerEmail: email });
  });
});
