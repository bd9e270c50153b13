import { describe, expect, it } from "vitest";
import { isPermanentSmtpFailure } from "./sender.js";

describe("isPermanentSmtpFailure", () => {
  it("is true for 5yz replies, not for 4yz or connection failures", () => {
    const reply = (responseCode: number) => Object.assign(new Error("refused"), { responseCode });
    expect(isPermanentSmtpFailure(reply(550))).toBe(true);
    expect(isPermanentSmtpFailure(reply(451))).toBe(false);
    expect(isPermanentSmtpFailure(Object.assign(new Error("gone"), { code: "ECONNRESET" }))).toBe(false);
    expect(isPermanentSmtpFailure(undefined)).toBe(false);
  });

  it("is true for an envelope refused before any reply, false for a recipient refused with 4yz", () => {
    expect(
      isPermanentSmtpFailure(Object.assign(new Error("No recipients defined"), { code: "EENVELOPE" })),
    ).toBe(true);
    expect(
      isPermanentSmtpFailure(Object.assign(new Error("busy"), { code: "EENVELOPE", responseCode: 450 })),
    ).toBe(false);
  });
});
