import { describe, expect, it } from "vitest";
import { createMetadata } from "./metadata.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("createMetadata", () => {
  it("starts a saga: a new event id that is also the correlation id, no causation", () => {
    const now = new Date("2025-11-23T12:00:00.000Z");
    const metadata = createMetadata({ producer: "order", now });
    expect(metadata).toEqual({
      eventId: expect.stringMatching(UUID_V4),
      occurredAt: now.getTime(),
      correlationId: metadata.eventId,
      causationId: null,
      producer: "order",
      traceparent: null,
    });
  });

  it("uses a correlation id from the edge when given", () => {
    expect(createMetadata({ producer: "order", correlationId: "req-1" }).correlationId).toBe("req-1");
  });

  it("carries the cause's correlation over and points at the cause", () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const cause = createMetadata({ producer: "order", correlationId: "saga-1", traceparent });
    const effect = createMetadata({ producer: "inventory", cause, correlationId: "ignored" });
    expect(effect).toMatchObject({ correlationId: "saga-1", causationId: cause.eventId, traceparent });
    expect(effect.eventId).not.toBe(cause.eventId);
    expect(createMetadata({ producer: "inventory", cause, traceparent: null }).traceparent).toBeNull();
  });
});
