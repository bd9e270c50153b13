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

  it("runs the upcasters first, from the writer's schema on, one step to the next", () => {
    const { current, stored } = olderOrderPlaced();
    const { total, customerEmail, ...rest } = stored;
    // Writer aa stored the total as a string and the email as buyerEmail; writer bb had Money totals.
    const byAa = { ...rest, buyerEmail: customerEmail, total: `${total.amountMinor} ${total.currency}` };
    const byBb = { ...rest, buyerEmail: customerEmail, total };
    const totalAsMoney: Upcaster = {
      type: "OrderPlaced",
      from: "00aa00aa00aa00aa",
      to: "00bb00bb00bb00bb",
      upcast: ({ total: text, ...data }) => {
        const [amountMinor, currency] = String(text).split(" ");
        return { ...data, total: { amountMinor: Number(amountMinor), currency } };
      },
    };
    const emailRenamed: Upcaster = {
      type: "OrderPlaced",
      from: "00bb00bb00bb00bb",
      to: schemaFingerprintOf("OrderPlaced")!,
      upcast: ({ buyerEmail, ...data }) => ({ ...data, customerEmail: buyerEmail }),
    };
    const unrelated: Upcaster = { ...totalAsMoney, type: "OrderCancelled", upcast: () => ({}) };
    const steps = [unrelated, emailRenamed, totalAsMoney];
    expect(upcastEventData("OrderPlaced", byAa, "00aa00aa00aa00aa", steps)).toStrictEqual(current);
    expect(upcastEventData("OrderPlaced", byBb, "00bb00bb00bb00bb", steps)).toStrictEqual(current);
    // Without the second step, the renamed field is missing.
    expect(() => upcastEventData("OrderPlaced", byAa, "00aa00aa00aa00aa", [totalAsMoney])).toThrow(
      /customerEmail: expected string/,
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
