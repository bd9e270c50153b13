import { randomUUID } from "node:crypto";
import { schemaFingerprintOf } from "@herald/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOMER, createHarness, type Harness, validOrder } from "../testing/harness.js";

/**
 * The event store keeps each event as the JSON its writer's build produced, forever. An older
 * build, whose OrderPlaced had no `line2` or `region` in the address and whose metadata had no
 * `traceparent`, stored a stream before `schema_fingerprint` existed; this build reads it in its
 * own shape through `?asOf=` and `/history`.
 */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Writes a stream as the older build did: its JSON, no writer fingerprint. */
async function storeAsOlderBuild(orderId: string): Promise<{ placedAt: number; confirmedAt: number }> {
  const placedAt = Date.parse("2026-11-02T09:00:00.000Z");
  const confirmedAt = placedAt + 1_500;
  const correlationId = randomUUID();
  const metadata = (occurredAt: number, causationId: string | null) => ({
    eventId: randomUUID(),
    occurredAt,
    correlationId,
    causationId,
    producer: "order",
  });
  const { recipientName, line1, city, postalCode, country } = validOrder().shippingAddress;
  const lines = [{ sku: "HRL-MUG-BLUE", quantity: 2, unitPrice: { amountMinor: 1290, currency: "EUR" } }];
  const total = { amountMinor: 2580, currency: "EUR" };
  const placed = {
    metadata: metadata(placedAt, null),
    orderId,
    customerId: CUSTOMER.id,
    customerEmail: CUSTOMER.email,
    lines,
    total,
    paymentMethodToken: "tok_visa",
    shippingAddress: { recipientName, line1, city, postalCode, country },
  };
  const confirmed = {
    metadata: metadata(confirmedAt, randomUUID()),
    orderId,
    customerId: CUSTOMER.id,
    customerEmail: CUSTOMER.email,
    lines,
    total,
  };
  await h.pool.query(
    `INSERT INTO order_events (order_id, version, event_id, event_type, data, occurred_at) VALUES
       ($1, 1, $2, 'OrderPlaced', $3, $4), ($1, 2, $5, 'OrderConfirmed', $6, $7)`,
    [
      orderId,
      placed.metadata.eventId,
      JSON.stringify(placed),
      new Date(placedAt),
      confirmed.metadata.eventId,
      JSON.stringify(confirmed),
      new Date(confirmedAt),
    ],
  );
  return { placedAt, confirmedAt };
}

describe("a stream stored by an older build", () => {
  it("is answered in this build's shape by /history", async () => {
    const orderId = randomUUID();
    await storeAsOlderBuild(orderId);
    const response = await h.customer(`/orders/${orderId}/history`);
    expect(response.statusCode).toBe(200);
    const [placed, confirmed] = response.json().events;
    expect(placed.type).toBe("OrderPlaced");
    expect(placed.data.shippingAddress).toStrictEqual({
      ...validOrder().shippingAddress,
      line2: null,
      region: null,
    });
    expect(placed.data.metadata).toHaveProperty("traceparent", null);
    expect(placed.data.paymentMethodToken).toBe("[redacted]");
    expect(confirmed.type).toBe("OrderConfirmed");
    expect(confirmed.data.metadata).toHaveProperty("traceparent", null);
  });

  it("is folded in this build's shape by ?asOf=", async () => {
    const orderId = randomUUID();
    const { placedAt, confirmedAt } = await storeAsOlderBuild(orderId);
    const asOf = new Date().toISOString();
    const response = await h.customer(`/orders/${orderId}?asOf=${encodeURIComponent(asOf)}`);
    expect(response.statusCode).toBe(200);
    const view = response.json();
    expect(view).toMatchObject({ orderId, status: "CONFIRMED", version: 2, customerId: CUSTOMER.id });
    expect(view.shippingAddress).toStrictEqual({
      ...validOrder().shippingAddress,
      line2: null,
      region: null,
    });
    expect(Date.parse(view.placedAt)).toBe(placedAt);
    expect(Date.parse(view.confirmedAt)).toBe(confirmedAt);
  });

  it("lives beside events this build stores, which record their writer's schema", async () => {
    const placed = await h.customer({ method: "POST", url: "/orders", payload: validOrder() });
    expect(placed.statusCode).toBe(202);
    const { rows } = await h.pool.query<{ event_type: string; schema_fingerprint: string | null }>(
      "SELECT event_type, schema_fingerprint FROM order_events WHERE order_id = $1",
      [placed.json().orderId],
    );
    expect(rows).toEqual([
      { event_type: "OrderPlaced", schema_fingerprint: schemaFingerprintOf("OrderPlaced") },
    ]);
  });
});
