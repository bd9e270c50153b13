import { describe, expect, it } from "vitest";
import { isPermanentSmtpFailure, retryDelay } from "./sender.js";

describe("retryDelay", () => {
  const retry = { initialMs: 1_000, maxMs: 8_000 };

  it("doubles per attempt up to the cap, jittered within its upper half", () => {
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelay(attempts, retry, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelay(attempts, retry, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000, 4_000,
    ]);
  });
});

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
