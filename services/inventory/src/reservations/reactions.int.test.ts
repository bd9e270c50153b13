import { randomUUID } from "node:crypto";
import type { DomainEvent } from "@herald/events";
import { testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createHarness,
  followUp,
  type Harness,
  orderLine,
  orderPlaced,
  reservationOf,
  withNewEventId,
} from "../testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.setStock("MUG", 10);
  await h.setStock("TEE", 5);
});

/** Handles the event, then a copy of it under a new event id (what a producer that retried sends). */
async function handledTwice<E extends DomainEvent>(event: E): Promise<E> {
  await h.handle(event);
  await h.handle(withNewEventId(event));
  return event;
}

const types = async (orderId: string) => (await h.outbox(orderId)).map((row) => row.type);

describe("OrderPlaced", () => {
  it("reserves every line and announces InventoryReserved, caused by the order and in its saga", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 3), orderLine("TEE", 2)]);
    await h.handle(placed);

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 3 });
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 2 });
    expect(await h.reservationStatus(orderId)).toBe("RESERVED");
    const [reserved, ...rest] = await h.outbox(orderId);
    expect(rest).toEqual([]);
    expect(reserved).toMatchObject(
      reservationOf(placed, [
        { sku: "MUG", quantity: 3 },
        { sku: "TEE", quantity: 2 },
      ]),
    );
  });

  it("reserves nothing when one line is short, and says requested vs available", async () => {
    await h.setStock("TEE", 5, 4);
    const orderId = randomUUID();
    await h.handle(orderPlaced(orderId, [orderLine("MUG", 3), orderLine("TEE", 2), orderLine("NOPE", 1)]));

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 4 });
    expect(await h.reservationStatus(orderId)).toBe("FAILED");
    expect(await h.outbox(orderId)).toMatchObject([
      {
        type: "InventoryReservationFailed",
        data: {
          orderId,
          unavailableSkus: [
            { sku: "TEE", requested: 2, available: 1 },
            { sku: "NOPE", requested: 1, available: 0 },
          ],
        },
      },
    ]);
    const listed = await h.app.inject({
      url: `/reservations?orderId=${orderId}`,
      headers: { authorization: `Bearer ${await testTokens.staff("support")}` },
    });
    expect(listed.json().items).toMatchObject([
      { orderId, status: "FAILED", shortages: [{ sku: "TEE" }, { sku: "NOPE" }] },
    ]);
  });

  it("reserves one order once, for a redelivery under a new event id too", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 4)]);
    await h.handle(placed);
    await h.handle(withNewEventId(placed));
    await h.handle(placed);

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 4 });
    expect(await types(orderId)).toEqual(["InventoryReserved"]);
  });

  it("reserves one order once when two copies are handled at the same time", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 4), orderLine("TEE", 1)]);
    await Promise.all([h.handle(placed), h.handle(withNewEventId(placed)), h.handle(withNewEventId(placed))]);

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 4 });
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 1 });
    expect(await types(orderId)).toEqual(["InventoryReserved"]);
  });

  it("refuses a line without a positive quantity and writes nothing (the consumer dead-letters it)", async () => {
    const orderId = randomUUID();
    await expect(
      h.handle(orderPlaced(orderId, [orderLine("MUG", 2), orderLine("TEE", 0)])),
    ).rejects.toMatchObject({
      code: "INVENTORY_INVALID_EVENT",
      retryable: false,
    });
    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.reservationStatus(orderId)).toBeUndefined();
    expect(await h.outbox(orderId)).toEqual([]);
  });

  it("skips an event whose order id is not a UUID", async () => {
    await h.handle(orderPlaced("ord-42", [orderLine("MUG", 1)]));
    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.outbox("ord-42")).toEqual([]);
  });
});

describe("after the reservation", () => {
  it("releases what the order holds when the payment fails, once", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 3), orderLine("TEE", 2)]);
    await h.handle(placed);
    const failed = await handledTwice(followUp("PaymentFailed", placed));
    await h.handle(followUp("OrderCancelled", placed));

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 0 });
    expect(await h.reservationStatus(orderId)).toBe("RELEASED");
    const rows = await h.outbox(orderId);
    expect(rows.map((row) => row.type)).toEqual(["InventoryReserved", "InventoryReleased"]);
    expect(rows[1]!.data).toMatchObject({
      lines: [
        { sku: "MUG", quantity: 3 },
        { sku: "TEE", quantity: 2 },
      ],
      metadata: {
        causationId: failed.data.metadata.eventId,
        correlationId: placed.data.metadata.correlationId,
      },
    });
  });

  it("releases what the order holds when it is cancelled", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("TEE", 5)]);
    await h.handle(placed);
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 5 });
    await h.handle(followUp("OrderCancelled", placed));

    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 0 });
    expect(await types(orderId)).toEqual(["InventoryReserved", "InventoryReleased"]);
  });

  it("sells on confirmation (units leave the shelf, silently) and restocks once when the sale is cancelled", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 3), orderLine("TEE", 1)]);
    await h.handle(placed);
    await handledTwice(followUp("OrderConfirmed", placed));

    expect(await h.stock("MUG")).toEqual({ onHand: 7, reserved: 0 });
    expect(await h.stock("TEE")).toEqual({ onHand: 4, reserved: 0 });
    expect(await h.reservationStatus(orderId)).toBe("SOLD");
    expect(await types(orderId)).toEqual(["InventoryReserved"]);

    await handledTwice(followUp("OrderCancelled", placed));
    await h.handle(followUp("PaymentFailed", placed));

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.stock("TEE")).toEqual({ onHand: 5, reserved: 0 });
    expect(await h.reservationStatus(orderId)).toBe("RESTOCKED");
    expect(await types(orderId)).toEqual(["InventoryReserved", "InventoryReleased"]);
  });

  it("remembers a cancellation that arrives before the order and never reserves it", async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [orderLine("MUG", 2)]);
    await h.handle(followUp("OrderCancelled", placed));
    expect(await h.reservationStatus(orderId)).toBe("CANCELLED_BEFORE_PLACED");
    await h.handle(placed);
    await h.handle(followUp("OrderConfirmed", placed));

    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
    expect(await h.reservationStatus(orderId)).toBe("CANCELLED_BEFORE_PLACED");
    expect(await h.outbox(orderId)).toEqual([]);
  });

  it("leaves no trace for a confirmation or payment failure of an order it never saw", async () => {
    const placed = orderPlaced(randomUUID(), [orderLine("MUG", 2)]);
    await h.handle(followUp("OrderConfirmed", placed));
    await h.handle(followUp("PaymentFailed", placed));
    expect(await h.reservationStatus(placed.data.orderId)).toBeUndefined();
    expect(await h.stock("MUG")).toEqual({ onHand: 10, reserved: 0 });
  });
});

describe("metrics", () => {
  it("counts handled placements by outcome, not their redeliveries", async () => {
    const counted = async () => {
      const metric = await h.context.metrics.getSingleMetric("inventory_reservations_total")?.get();
      const value = (outcome: string) => metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
      return { reserved: value("reserved"), failed: value("failed") };
    };
    const before = await counted();
    const placed = orderPlaced(randomUUID(), [orderLine("MUG", 1)]);
    await h.handle(placed);
    await h.handle(withNewEventId(placed));
    await h.handle(orderPlaced(randomUUID(), [orderLine("MUG", 11)]));
    expect(await counted()).toEqual({ reserved: before.reserved + 1, failed: before.failed + 1 });
  });
});
