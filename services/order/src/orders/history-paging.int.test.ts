import type { EventData } from "@herald/events";
import { describe, expect, it } from "vitest";
import { harnessPerTest, nothingWritten, placeOrder, stranger } from "../testing/harness.js";
import { appendFolded, moreEvents } from "../testing/streams.js";
import { readStream } from "./event-store.js";

/** `/orders/:id/history` a page at a time: `?after=<version>&limit=<n>`, and `next` to go on. */

const h = harnessPerTest();

interface Page {
  events: { version: number; type: string; data: { paymentMethodToken?: string } }[];
  next: number | null;
}

/** An order of `length` events: placed, then confirmations and cancellations in turn. */
async function orderOf(length: number): Promise<string> {
  const id = await placeOrder(h);
  const placed = (await readStream(h.pool, id))[0]!.event.data as EventData["OrderPlaced"];
  await appendFolded(h.pool, id, moreEvents(placed, length - 1), 100);
  return id;
}

const page = async (id: string, query = ""): Promise<Page> => {
  const response = await h.customer(`/orders/${id}/history${query}`);
  expect(response.statusCode).toBe(200);
  return response.json();
};

describe("history pages", () => {
  it("walks every event exactly once, in order, whatever the page size", async () => {
    const id = await orderOf(150);
    const first = await page(id);
    expect([first.events.length, first.next]).toEqual([100, 100]);
    expect(first.events[0]).toMatchObject({
      version: 1,
      type: "OrderPlaced",
      data: { paymentMethodToken: "[redacted]" },
    });
    const second = await page(id, "?after=100");
    expect([second.events.map((event) => event.version), second.next]).toEqual([
      Array.from({ length: 50 }, (_, i) => 101 + i),
      null,
    ]);
    // A page that ends exactly at the last event says so.
    expect((await page(id, "?after=100&limit=50")).next).toBeNull();
    expect((await page(id, "?after=99&limit=50")).next).toBe(149);
    expect(await page(id, "?after=150")).toEqual({ orderId: id, events: [], next: null });
    expect(await page(id, "?after=1000&limit=1000")).toEqual({ orderId: id, events: [], next: null });

    for (const limit of [1, 7, 149, 150, 1000]) {
      const seen: number[] = [];
      let after: number | null = 0;
      let pages = 0;
      while (after !== null) {
        const next: Page = await page(id, `?after=${after}&limit=${limit}`);
        expect(next.events.length).toBeLessThanOrEqual(limit);
        seen.push(...next.events.map((event) => event.version));
        after = next.next;
        pages++;
      }
      expect([limit, seen]).toEqual([limit, Array.from({ length: 150 }, (_, i) => i + 1)]);
      expect([limit, pages]).toEqual([limit, Math.ceil(150 / limit)]);
    }
  });

  it("pages a short order in one and keeps the whole-history shape", async () => {
    const id = await placeOrder(h);
    const response = await h.customer(`/orders/${id}/history`);
    expect(response.json()).toEqual({
      orderId: id,
      next: null,
      events: [
        {
          version: 1,
          type: "OrderPlaced",
          occurredAt: expect.any(String),
          recordedAt: expect.any(String),
          data: expect.objectContaining({ orderId: id, paymentMethodToken: "[redacted]" }),
        },
      ],
    });
    // Only its customer reads it, any page of it.
    expect((await (await stranger(h))(`/orders/${id}/history?after=1`)).statusCode).toBe(403);
  });

  it("refuses paging parameters that are no page with 400 ORDER_INVALID", async () => {
    const id = await placeOrder(h);
    const cases: [string, string][] = [
      ["after=-1", "querystring/after"],
      ["after=abc", "querystring/after"],
      ["after=1.5", "querystring/after"],
      ["after=", "querystring/after"],
      ["after=1e2", "querystring/after"],
      ["after=2147483648", "querystring/after"],
      ["limit=0", "querystring/limit"],
      ["limit=1001", "querystring/limit"],
      ["limit=%205", "querystring/limit"],
      ["limit=-3", "querystring/limit"],
      ["after=0&limit=ten", "querystring/limit"],
    ];
    for (const [query, path] of cases) {
      const response = await h.customer(`/orders/${id}/history?${query}`);
      expect([query, response.statusCode, response.json().code]).toEqual([query, 400, "ORDER_INVALID"]);
      expect(response.json().details).toEqual([
        { path, message: expect.stringMatching(/^must be a whole number from/) },
      ]);
    }
    // Names it does not know, or a parameter given twice, fail the schema.
    for (const query of ["page=2", "after=1&after=2"]) {
      const response = await h.customer(`/orders/${id}/history?${query}`);
      expect([query, response.statusCode, response.json().code]).toEqual([query, 400, "VALIDATION_FAILED"]);
    }
    expect(await h.count("order_events")).toBe(1);
  });

  it("answers 404 for an unknown order, on any page", async () => {
    const unknown = "8d3c6c9e-2f0b-4b0f-9a59-2b1f7f7f0d11";
    for (const query of ["", "?after=0", "?after=5&limit=1"]) {
      const response = await h.customer(`/orders/${unknown}/history${query}`);
      expect([query, response.statusCode, response.json().code]).toEqual([query, 404, "ORDER_NOT_FOUND"]);
    }
    await nothingWritten(h);
  });
});
