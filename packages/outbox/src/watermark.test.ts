import { describe, expect, it } from "vitest";
import { PublicationWatermark } from "./watermark.js";

describe("PublicationWatermark", () => {
  it("settles nothing until a fence is passed by the transaction horizon", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 10n, xmin: 500n, fence: 505n });
    expect(watermark.safeThrough).toBe(0n);
    expect(watermark.waiting).toBe(true);
    // A transaction older than the fence is still running.
    watermark.observe({ issued: 12n, xmin: 503n, fence: 507n });
    expect(watermark.safeThrough).toBe(0n);
    watermark.observe({ issued: 12n, xmin: 505n, fence: null });
    expect(watermark.safeThrough).toBe(10n);
    watermark.observe({ issued: 12n, xmin: 510n, fence: null });
    expect(watermark.safeThrough).toBe(12n);
    expect(watermark.waiting).toBe(false);
  });

  it("asks for a fence only when ids were handed out since the last one", () => {
    const watermark = new PublicationWatermark();
    expect(watermark.fenceRequest()).toEqual({ wanted: true, after: -1n });
    watermark.observe({ issued: 4n, xmin: 100n, fence: 101n });
    expect(watermark.fenceRequest()).toEqual({ wanted: true, after: 4n });
    // A fence taken although nothing new was issued is ignored.
    watermark.observe({ issued: 4n, xmin: 100n, fence: 102n });
    expect(watermark.fenceRequest()).toEqual({ wanted: true, after: 4n });
  });

  it("keeps at most four fences waiting behind a long transaction", () => {
    const watermark = new PublicationWatermark();
    for (let i = 1; i <= 4; i++) watermark.observe({ issued: BigInt(i), xmin: 50n, fence: BigInt(59 + i) });
    expect(watermark.fenceRequest().wanted).toBe(false);
    watermark.observe({ issued: 5n, xmin: 61n, fence: null });
    expect(watermark.safeThrough).toBe(2n);
    expect(watermark.fenceRequest()).toEqual({ wanted: true, after: 4n });
  });

  it("never moves back", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 9n, xmin: 10n, fence: 11n });
    watermark.observe({ issued: 9n, xmin: 12n, fence: null });
    expect(watermark.safeThrough).toBe(9n);
    watermark.observe({ issued: 9n, xmin: 12n, fence: null });
    expect(watermark.safeThrough).toBe(9n);
  });
});
