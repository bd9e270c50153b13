import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay, sleep } from "./backoff.js";

const policy = { initialMs: 500, maxMs: 4_000 };

describe("backoff", () => {
  it("doubles from the initial wait up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffCeiling(attempt, policy))).toEqual([
      500, 1_000, 2_000, 4_000, 4_000,
    ]);
    expect(backoffCeiling(0, policy)).toBe(500);
  });

  it("jitters in the upper half of the ceiling", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, () => 0))).toEqual([
      250, 500, 1_000, 2_000,
    ]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, policy, () => 1))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
  });

  // Without the abort the sleep would outlast the test's timeout.
  it("sleeps until its signal aborts, and never rejects", async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, abort.signal);
    abort.abort(new Error("stopping"));
    await expect(slept).resolves.toBeUndefined();
    await expect(sleep(10, abort.signal)).resolves.toBeUndefined();
  });
});
