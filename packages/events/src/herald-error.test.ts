import { describe, expect, it } from "vitest";
import { EventsError } from "./errors.js";
import { HeraldError } from "./herald-error.js";

class ShopError extends HeraldError<"SHOP_CLOSED" | "SHOP_BUSY"> {}

describe("HeraldError", () => {
  it("carries a code, retryability, details and a cause, named after its class", () => {
    const cause = new Error("socket closed");
    const error = new ShopError("SHOP_BUSY", "try later", {
      retryable: true,
      details: [{ path: "items", message: "too many" }],
      cause,
    });
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ShopError",
      code: "SHOP_BUSY",
      message: "try later",
      retryable: true,
    });
    expect(error.details).toEqual([{ path: "items", message: "too many" }]);
    expect(error.cause).toBe(cause);
  });

  it("is not retryable unless it says so, and has no cause unless given one", () => {
    const error = new ShopError("SHOP_CLOSED", "closed");
    expect(error.retryable).toBe(false);
    expect(error.details).toBeUndefined();
    expect("cause" in error).toBe(false);
  });

  it("lets a package decide retryability by code", () => {
    expect(new EventsError("EVENTS_REGISTRY_UNAVAILABLE", "down").retryable).toBe(true);
    expect(new EventsError("EVENTS_REGISTRY_REJECTED", "no").retryable).toBe(false);
  });
});
