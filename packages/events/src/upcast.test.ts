import { describe, expect, it } from "vitest";
import { schemaFingerprintOf } from "./avro.js";
import { EventsError } from "./errors.js";
import { sampleEvent } from "./testing.js";
import { type Upcaster, upcastEventData } from "./upcast.js";

/** An OrderPlaced as a build that had neither `metadata.traceparent` nor the address's `line2` and `region` stored it. */
function olderOrderPlaced() {
  const { data } = sampleEvent("OrderPlaced");
  const { traceparent: _t, ...metadata } = data.metadata;
  const { line2: _l, region: _r, ...shippingAddress } = data.shippingAddress;
  return { current: data, stored: { ...data, metadata, shippingAddress } };
}

describe("upcastEventData", () => {
  it("returns data written with this build's schema as it is", () => {
    const { data } = sampleEvent("OrderPlaced");
    expect(upcastEventData("OrderPlaced", data, schemaFingerprintOf("OrderPlaced")!)).toBe(data);
  });

  it("gives a field the writer did not have its default, and drops one this build no longer has", () => {
    const { current, stored } = olderOrderPlaced();
    const read = upcastEventData("OrderPlaced", { ...stored, couponCode: "WINTER" }, null);
    expect(read).toStrictEqual(current);
    expect(read.shippingAddress).toHaveProperty("region", null);
    expect(read.metadata).toHaveProperty("traceparent", null);
  });

  it("reads a symbol this build does not know as the enum's catch-all default", () => {
    const { data } = sampleEvent("OrderCancelled");
    const read = upcastEventData(
      "OrderCancelled",
      { ...data, reason: "FRAUD_SUSPECTED" },
      "0123456789abcdef",
    );
    expect(read.reason).toBe("OTHER");
  });

  it("runs the upcasters written for the writer's schema first: a retyped field", () => {
    const { current, stored } = olderOrderPlaced();
    // The older build stored the total as a string of minor units and a currency.
    const { total, ...rest } = stored;
    const old = { ...rest, total: `${total.amountMinor} ${total.currency}` };
    const totalAsMoney: Upcaster = {
      type: "OrderPlaced",
      from: "00aa00aa00aa00aa",
      upcast: ({ total: text, ...data }) => {
        const [amountMinor, currency] = String(text).split(" ");
        return { ...data, total: { amountMinor: Number(amountMinor), currency } };
      },
    };
    const unrelated: Upcaster = { ...totalAsMoney, from: "ffffffffffffffff", upcast: () => ({}) };
    expect(upcastEventData("OrderPlaced", old, "00aa00aa00aa00aa", [unrelated, totalAsMoney])).toStrictEqual(
      current,
    );
  });

  it("refuses data it cannot read without an upcaster, naming the fields", () => {
    const { stored } = olderOrderPlaced();
    const { total, ...rest } = stored;
    const read = () =>
      upcastEventData("OrderPlaced", { ...rest, total: `${total.amountMinor} EUR` }, "00aa00aa00aa00aa");
    expect(read).toThrow(EventsError);
    expect(read).toThrow(
      /OrderPlaced does not match its schema: stored by a build with schema 00aa00aa00aa00aa.*total: expected herald\.common\.Money/,
    );
  });
});
