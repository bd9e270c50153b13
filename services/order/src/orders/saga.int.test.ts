import { testInfra, uniqueName, waitFor } from "@herald/dev-stack/testing";
import {
  createEventSerde,
  createMetadata,
  type DomainEvent,
  type EventOf,
  type Metadata,
  subjectOf,
} from "@herald/events";
import { type ConsumeReport, createRelay, HEADERS, type Relay } from "@herald/outbox";
import type { Consumer as KafkaConsumer } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VALID_ORDER_TOTAL, validOrder } from "../testing/harness.js";
import { factFor, paidFor, reservedFor, type SagaRig, startSagaRig } from "../testing/saga-rig.js";

const infra = testInfra();

interface Received {
  readonly key: string;
  readonly bytes: Buffer;
  readonly headers: Record<string, string>;
  readonly event: DomainEvent;
}

let rig: SagaRig;
let h: SagaRig["h"];
let relay: Relay;
let reader: KafkaConsumer;
let published: Received[];
let reports: ConsumeReport[];

// Every test gets its own topics (the relay and consumer map contract topics to them) and schema.
beforeEach(async () => {
  rig = await startSagaRig("order_saga", ["orders", "inventory", "payments"]);
  ({ h, reports } = rig);
  relay = createRelay({ pool: h.pool, kafka: rig.kafka, serde: rig.serde, topicName: rig.topic });

  // Decodes with its own serde, so what it reads went through the registry, not a shared cache.
  const readerSerde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
  published = [];
  reader = rig.kafka.consumer({ groupId: uniqueName("order_saga_reader") });
  await reader.connect();
  await reader.subscribe({ topic: rig.topic("orders"), fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const bytes = message.value!;
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      published.push({ key: String(message.key), bytes, headers, event: await readerSerde.decode(bytes) });
    },
  });
  await Promise.all([relay.start(), rig.consumer.start()]);
});

afterEach(async () => {
  await Promise.allSettled([relay.stop(), reader.disconnect()]);
  await rig.close();
});

async function placeOrder(): Promise<{ orderId: string; placed: EventOf<"OrderPlaced"> }> {
  const response = await h.customer({ method: "POST", url: "/orders", payload: validOrder() });
  expect(response.statusCode).toBe(202);
  const { orderId } = response.json();
  const placed = await waitFor("OrderPlaced on Kafka", () => eventsOf(orderId)[0]);
  expect(placed.type).toBe("OrderPlaced");
  return { orderId, placed: placed as EventOf<"OrderPlaced"> };
}

const eventsOf = (orderId: string) => published.filter((m) => m.key === orderId).map((m) => m.event);

const send = (event: DomainEvent, name: "inventory" | "payments") => rig.send(event, name);

const from = (producerName: string, cause: Metadata) => createMetadata({ producer: producerName, cause });

async function statusOf(orderId: string): Promise<string> {
  return (await h.customer(`/orders/${orderId}`)).json().status;
}

const handled = (eventId: string) => rig.handled(eventId);

describe("the order saga over Kafka", () => {
  it("publishes OrderPlaced Avro-encoded through the registry, keyed by order id, with its metadata", async () => {
    const { orderId } = await placeOrder();
    const message = published.find((m) => m.key === orderId)!;

    expect(message.bytes.readUInt8(0)).toBe(0);
    const schemaId = message.bytes.readInt32BE(1);
    const subject = await fetch(
      `${infra.schemaRegistryUrl}/subjects/${subjectOf("OrderPlaced")}/versions/latest`,
    );
    expect(((await subject.json()) as { id: number }).id).toBe(schemaId);

    const stored = (await h.customer(`/orders/${orderId}/history`)).json().events[0].data;
    // The history shows the stored event with the payment token redacted; Kafka carries it for Payment.
    expect(message.event).toEqual({
      type: "OrderPlaced",
      data: { ...stored, paymentMethodToken: "tok_visa" },
    });
    expect(stored.paymentMethodToken).toBe("[redacted]");
    const { metadata } = (message.event as EventOf<"OrderPlaced">).data;
    expect(metadata).toMatchObject({ producer: "order", causationId: null, correlationId: metadata.eventId });
    expect(metadata.occurredAt).toBeGreaterThan(Date.now() - 60_000);
    expect(message.event.data).toMatchObject({
      orderId,
      customerId: "cust-42",
      total: VALID_ORDER_TOTAL,
      paymentMethodToken: "tok_visa",
      lines: [
        { sku: "HRL-MUG-BLUE", quantity: 2, unitPrice: { amountMinor: 1290, currency: "EUR" } },
        { sku: "HRL-TEE-BLACK-M", quantity: 1, unitPrice: { amountMinor: 2490, currency: "EUR" } },
      ],
    });
    expect(message.headers).toMatchObject({
      [HEADERS.eventType]: "OrderPlaced",
      [HEADERS.eventId]: metadata.eventId,
      [HEADERS.correlationId]: metadata.eventId,
    });
  });

  it("confirms the order when stock is reserved and payment processed, and publishes OrderConfirmed", async () => {
    const { orderId, placed } = await placeOrder();
    const reserved = reservedFor(orderId, placed.data.metadata);
    await send(reserved, "inventory");
    await handled(reserved.data.metadata.eventId);
    expect(await statusOf(orderId)).toBe("PLACED");

    const paid = paidFor(orderId, reserved.data.metadata, "pay-1");
    await send(paid, "payments");
    await waitFor("CONFIRMED", async () => (await statusOf(orderId)) === "CONFIRMED");
    const confirmed = await waitFor("OrderConfirmed on Kafka", () => eventsOf(orderId)[1]);
    expect(confirmed.type).toBe("OrderConfirmed");
    expect(confirmed.data).toMatchObject({
      orderId,
      total: VALID_ORDER_TOTAL,
      customerEmail: "ada@example.com",
    });
    expect(confirmed.data.metadata).toMatchObject({
      producer: "order",
      causationId: paid.data.metadata.eventId,
      correlationId: placed.data.metadata.correlationId,
    });
  });

  it("cancels the order when the stock cannot be reserved", async () => {
    const { orderId, placed } = await placeOrder();
    const unavailableSkus = [{ sku: "HRL-TEE-BLACK-M", requested: 1, available: 0 }];
    await send(
      factFor("InventoryReservationFailed", orderId, placed.data.metadata, { unavailableSkus }),
      "inventory",
    );
    const cancelled = await waitFor("OrderCancelled on Kafka", () => eventsOf(orderId)[1]);
    expect(cancelled).toMatchObject({
      type: "OrderCancelled",
      data: { reason: "OUT_OF_STOCK", detail: "HRL-TEE-BLACK-M: 1 requested, 0 available" },
    });
    expect((await h.customer(`/orders/${orderId}`)).json()).toMatchObject({
      status: "CANCELLED",
      cancellation: { reason: "OUT_OF_STOCK" },
    });
  });

  it("cancels the order when the payment fails", async () => {
    const { orderId, placed } = await placeOrder();
    const declined = {
      paymentId: "pay-2",
      amount: VALID_ORDER_TOTAL,
      reason: "CARD_DECLINED" as const,
      detail: null,
    };
    await send(factFor("PaymentFailed", orderId, placed.data.metadata, declined), "payments");
    const cancelled = await waitFor("OrderCancelled on Kafka", () => eventsOf(orderId)[1]);
    expect(cancelled).toMatchObject({
      type: "OrderCancelled",
      data: { reason: "PAYMENT_FAILED", detail: "CARD_DECLINED" },
    });
    expect(await statusOf(orderId)).toBe("CANCELLED");
  });

  it("shrugs off duplicate, late and out-of-order events after the customer cancelled", async () => {
    const { orderId, placed } = await placeOrder();
    const cancel = await h.customer({ method: "POST", url: `/orders/${orderId}/cancel` });
    expect(cancel.json().status).toBe("CANCELLED");

    // The payment went through just before the cancellation reached the payment service.
    const paid = paidFor(orderId, placed.data.metadata, "pay-3");
    const paidAgain: DomainEvent = {
      ...paid,
      data: { ...paid.data, metadata: from("payment", placed.data.metadata) },
    };
    const lateReservation = reservedFor(orderId, placed.data.metadata);
    await send(paid, "payments");
    await send(paid, "payments");
    await send(paidAgain, "payments");
    await send(lateReservation, "inventory");

    expect((await handled(lateReservation.data.metadata.eventId)).outcome).toBe("processed");
    expect((await handled(paidAgain.data.metadata.eventId)).outcome).toBe("processed");
    await waitFor("the redelivered payment", () =>
      reports.find(
        (r) => r.event?.data.metadata.eventId === paid.data.metadata.eventId && r.outcome === "duplicate",
      ),
    );
    await waitFor("OrderCancelled on Kafka", () => eventsOf(orderId)[1]);

    const history = (await h.customer(`/orders/${orderId}/history`)).json().events;
    expect(history.map((e: { type: string }) => e.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
    expect(await statusOf(orderId)).toBe("CANCELLED");
    expect(await h.count("outbox")).toBe(2);
    expect(eventsOf(orderId).map((e) => e.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
    expect(reports.filter((r) => r.outcome === "dead_lettered")).toEqual([]);
  });
});
