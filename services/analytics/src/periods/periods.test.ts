import { describe, expect, it } from "vitest";
import { MAX_BACKFILL, periodIdOf, periodsDue } from "./periods.js";

const minute = 60_000;
const t = (iso: string) => Date.parse(iso);

describe("periodsDue", () => {
  it("given nothing published yet, summarizes only the latest closed period", () => {
    expect(
      periodsDue({
        now: t("2026-12-01T13:47:10Z"),
        periodMs: minute,
        graceMs: 5_000,
        lastPublishedEnd: undefined,
      }),
    ).toEqual([{ start: t("2026-12-01T13:46:00Z"), end: t("2026-12-01T13:47:00Z") }]);
  });

  it("waits out the grace after a period ends before closing it", () => {
    const due = (now: string) =>
      periodsDue({
        now: t(now),
        periodMs: minute,
        graceMs: 5_000,
        lastPublishedEnd: t("2026-12-01T13:46:00Z"),
      });
    expect(due("2026-12-01T13:47:04.999Z")).toEqual([]);
    expect(due("2026-12-01T13:47:05Z")).toEqual([
      { start: t("2026-12-01T13:46:00Z"), end: t("2026-12-01T13:47:00Z") },
    ]);
  });

  it("after a gap, catches up the missed periods, at most the last few", () => {
    const short = periodsDue({
      now: t("2026-12-01T13:50:30Z"),
      periodMs: minute,
      graceMs: 0,
      lastPublishedEnd: t("2026-12-01T13:47:00Z"),
    });
    expect(short.map((p) => new Date(p.start).toISOString())).toEqual([
      "2026-12-01T13:47:00.000Z",
      "2026-12-01T13:48:00.000Z",
      "2026-12-01T13:49:00.000Z",
    ]);
    const long = periodsDue({
      now: t("2026-12-01T18:00:30Z"),
      periodMs: minute,
      graceMs: 0,
      lastPublishedEnd: t("2026-12-01T13:47:00Z"),
    });
    expect(long).toHaveLength(MAX_BACKFILL);
    expect(long.at(-1)).toEqual({ start: t("2026-12-01T17:59:00Z"), end: t("2026-12-01T18:00:00Z") });
  });

  it("aligns to the new length when the period was changed", () => {
    expect(
      periodsDue({
        now: t("2026-12-01T14:00:00Z"),
        periodMs: 10 * minute,
        graceMs: 0,
        lastPublishedEnd: t("2026-12-01T13:47:00Z"),
      }),
    ).toEqual([{ start: t("2026-12-01T13:50:00Z"), end: t("2026-12-01T14:00:00Z") }]);
  });
});

describe("periodIdOf", () => {
  it("is the start in ISO 8601 and the length as an ISO duration", () => {
    expect(periodIdOf({ start: t("2026-12-01T13:47:00Z"), end: t("2026-12-01T13:48:00Z") })).toBe(
      "2026-12-01T13:47Z/PT1M",
    );
    expect(periodIdOf({ start: t("2025-11-23T12:00:00Z"), end: t("2025-11-23T13:00:00Z") })).toBe(
      "2025-11-23T12:00Z/PT1H",
    );
    expect(periodIdOf({ start: t("2026-12-01T13:47:30Z"), end: t("2026-12-01T13:49:00Z") })).toBe(
      "2026-12-01T13:47:30.000Z/PT90S",
    );
  });
});
