import { describe, expect, it } from "vitest";
import { AnalyticsError } from "../errors.js";
import { parseRange } from "./routes.js";

const now = new Date("2026-12-01T13:47:12Z");

function refusal(query: Record<string, string>) {
  try {
    parseRange(query, now);
  } catch (error) {
    expect(error).toBeInstanceOf(AnalyticsError);
    return (error as AnalyticsError).details;
  }
  throw new Error("expected a refusal");
}

describe("parseRange", () => {
  it("defaults to the last hour by minute", () => {
    expect(parseRange({}, now)).toEqual({
      from: new Date("2026-12-01T12:47:12Z"),
      to: now,
      stepMs: 60_000,
    });
  });

  it("takes ISO times with a zone and steps in whole minutes", () => {
    expect(
      parseRange({ from: "2026-12-01T00:00:00+01:00", to: "2026-12-01T12:00Z", step: "300" }, now),
    ).toEqual({
      from: new Date("2026-11-30T23:00:00Z"),
      to: new Date("2026-12-01T12:00:00Z"),
      stepMs: 300_000,
    });
  });

  it("names every bad field", () => {
    expect(refusal({ from: "yesterday", to: "2026-12-01", step: "90" })).toEqual([
      { path: "querystring/to", message: expect.stringContaining("ISO 8601") },
      { path: "querystring/from", message: expect.stringContaining("ISO 8601") },
      { path: "querystring/step", message: expect.stringContaining("multiple of 60") },
    ]);
    expect(refusal({ step: "0" })).toEqual([{ path: "querystring/step", message: expect.any(String) }]);
    expect(refusal({ step: "-60" })).toEqual([{ path: "querystring/step", message: expect.any(String) }]);
  });

  it("refuses an empty or backwards range and one of more than a day of minutes", () => {
    expect(refusal({ from: "2026-12-01T12:00Z", to: "2026-12-01T12:00Z" })).toEqual([
      { path: "querystring/from", message: "must be before to" },
    ]);
    expect(refusal({ from: "2026-11-29T00:00Z", to: "2026-12-01T00:00Z" })).toEqual([
      { path: "querystring/step", message: "gives 2880 buckets; at most 1440" },
    ]);
    expect(parseRange({ from: "2026-11-29T00:00Z", to: "2026-12-01T00:00Z", step: "120" }, now).stepMs).toBe(
      120_000,
    );
  });
});
