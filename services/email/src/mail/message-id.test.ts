import { describe, expect, it } from "vitest";
import { domainOf, messageIdFor, uuidV5 } from "./message-id.js";

describe("Message-IDs", () => {
  it("are RFC 9562 version 5 UUIDs (checked against the RFC's DNS example)", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("are the same for the same event and template, and differ otherwise", () => {
    const eventId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const id = messageIdFor(eventId, "ORDER_CONFIRMED", "herald.local");
    expect(id).toMatch(/^<[\da-f]{8}-[\da-f]{4}-5[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}@herald\.local>$/);
    expect(messageIdFor(eventId, "ORDER_CONFIRMED", "herald.local")).toBe(id);
    expect(messageIdFor(eventId, "ORDER_CANCELLED", "herald.local")).not.toBe(id);
    expect(messageIdFor("7c9e6679-7425-40de-944b-e07fc1f90ae7", "ORDER_CONFIRMED", "herald.local")).not.toBe(
      id,
    );
  });

  it("take their domain from the From address", () => {
    expect(domainOf("Herald <orders@herald.local>")).toBe("herald.local");
    expect(domainOf("orders@shop.example.com")).toBe("shop.example.com");
  });
});
