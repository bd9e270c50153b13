import { describe, expect, it } from "vitest";
import { clusterId } from "./kafka.js";

describe("clusterId", () => {
  it("is 16 bytes in URL-safe base64 without padding", () => {
    expect(clusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("never starts with a dash, which the storage tool would read as an option", () => {
    // 0xF8 encodes as "-" in its first character; the second draw does not.
    const draws = [new Uint8Array(16).fill(0xf8), new Uint8Array(16).fill(0x10)];
    const id = clusterId(() => draws.shift()!);
    expect(id.startsWith("-")).toBe(false);
    expect(draws).toHaveLength(0);
  });
});
