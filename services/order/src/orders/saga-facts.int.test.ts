import type { DomainEvent } from "@herald/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VALID_ORDER_TOTAL, validOrder } from "../testing/harness.js";
import { factFor, paidFor, reservedFor, type SagaRig, startSagaRig } from "../testing/saga-rig.js";
import { readStream } from "./event-store.js";

let rig: SagaRig;
let h: SagaRig["h"];

beforeEach(async () => {
  rig = await startSagaRig("order_facts", ["inventory", "payments"]);
  h = rig.h;
  await rig.consumer.start();
});

afterEach(() => rig.close());

const handled = (eventId: string) => rig.handled(eventId, 20_000);
const send = (event: DomainEvent, name: "inventory" | "payments") => rig.send(event, name);

async function placeOrder() {
  const { shippingAddress, ...order } = validOrder();
  const { body } = await h.handler.place(
    { ...order, shippingAddress: { ...shippingAddress, line2: null, region: null } },
    {},
  );
  const [placed] = await readStream(h.pool, body.orderId);
  return { orderId: body.orderId, cause: placed!.event.data.metadata };
}

/** Expects the order PLACED, with its OrderPlaced the only event in its stream. */
async function expectStillPlaced(orderId: string): Promise<void> {
  expect((await h.handler.get(orderId)).status).toBe("PLACED");
  expect((await readStream(h.pool, orderId)).map((recorded) => recorded.event.type)).toEqual(["OrderPlaced"]);
}

describe("facts that contradict the order", () => {
  it("dead-letters a reservation of other lines at once, and the order does not move", async () => {
    const { orderId, cause } = await placeOrder();
    const wrongLines = factFor("InventoryReserved", orderId, cause, {
      lines: [{ sku: "HRL-MUG-BLUE", quantity: 20 }],
    });
    await send(wrongLines, "inventory");

    const report = await handled(wrongLines.data.metadata.eventId);
    expect(report).toMatchObject({ outcome: "dead_lettered", attempt: 1 });
    expect(report.error).toMatchObject({ code: "OUTBOX_HANDLER_FAILED", retryable: false });
    expect(report.error?.cause).toMatchObject({ code: "ORDER_SAGA_FACT_MISMATCH" });
    await expectStillPlaced(orderId);
  });

  it("dead-letters a PaymentProcessed of another amount instead of confirming the order", async () => {
    const { orderId, cause } = await placeOrder();
    const reserved = reservedFor(orderId, cause);
    const underpaid = paidFor(orderId, cause, "pay-1", { ...VALID_ORDER_TOTAL, amountMinor: 1 });
    await send(reserved, "inventory");
    expect((await handled(reserved.data.metadata.eventId)).outcome).toBe("processed");
    await send(underpaid, "payments");

    const report = await handled(underpaid.data.metadata.eventId);
    expect(report).toMatchObject({ outcome: "dead_lettered", attempt: 1 });
    expect(report.error?.cause).toMatchObject({ code: "ORDER_SAGA_FACT_MISMATCH" });
    await expectStillPlaced(orderId);
    expect(await h.count("outbox")).toBe(1);
  });

  it("confirms on the facts that match it, over the same consumer", async () => {
    const { orderId, cause } = await placeOrder();
    const reserved = reservedFor(orderId, cause);
    const paid = paidFor(orderId, cause, "pay-2");
    await send(reserved, "inventory");
    await send(paid, "payments");
    expect((await handled(reserved.data.metadata.eventId)).outcome).toBe("processed");
    expect((await handled(paid.data.metadata.eventId)).outcome).toBe("processed");
    expect((await h.handler.get(orderId)).status).toBe("CONFIRMED");
  });
});
