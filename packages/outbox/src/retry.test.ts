import { describe, expect, it } from "vitest";
import { backoffDelay, isTransientDatabaseError } from "./retry.js";

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the cap, jittered within the upper half", () => {
    const backoff = { initialMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, backoff, () => 0)).toBe(50);
    expect(backoffDelay(1, backoff, () => 1)).toBe(100);
    expect(backoffDelay(3, backoff, () => 1)).toBe(400);
    expect(backoffDelay(10, backoff, () => 1)).toBe(1_000);
    expect(backoffDelay(10, backoff, () => 0)).toBe(500);
  });
});

describe("isTransientDatabaseError", () => {
  const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code });

  it("recognises lost connections, restarts and conflicts", () => {
    expect(
      isTransientDatabaseError(pgError("57P01", "terminating connection due to administrator command")),
    ).toBe(true);
    expect(isTransientDatabaseError(pgError("08006"))).toBe(true);
    expect(isTransientDatabaseError(pgError("40001"))).toBe(true);
    expect(isTransientDatabaseError(pgError("ECONNREFUSED"))).toBe(true);
    expect(isTransientDatabaseError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientDatabaseError(new Error("wrapped", { cause: pgError("53300") }))).toBe(true);
  });

  it("leaves the statement's own failures alone", () => {
    expect(isTransientDatabaseError(pgError("23505", "duplicate key value"))).toBe(false);
    expect(isTransientDatabaseError(pgError("42P01", "relation does not exist"))).toBe(false);
    expect(isTransientDatabaseError(new Error("order total does not add up"))).toBe(false);
    expect(isTransientDatabaseError("nope")).toBe(false);
  });
});
