import { describe, expect, it } from "vitest";
import { PublicationWatermark } from "./watermark.js";

const writers = (...ids: string[]) => ids.map((id) => [id]);

describe("PublicationWatermark", () => {
  it("settles a reading once every writer seen with it has finished", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 10n, writers: writers("3/7", "4/9") });
    expect(watermark.safeThrough).toBe(0n);
    expect(watermark.waiting).toBe(true);
    // 4/9 finished, 3/7 still writes; a new writer 5/2 came after 10 was read.
    watermark.observe({ issued: 12n, writers: writers("3/7", "5/2") });
    expect(watermark.safeThrough).toBe(0n);
    watermark.observe({ issued: 12n, writers: writers("5/2") });
    expect(watermark.safeThrough).toBe(10n);
    watermark.observe({ issued: 12n, writers: writers() });
    expect(watermark.safeThrough).toBe(12n);
    expect(watermark.waiting).toBe(false);
  });

  it("settles at once when nobody writes the outbox", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 7n, writers: writers() });
    expect(watermark.safeThrough).toBe(7n);
  });

  it("asks for the writers only while waiting or when ids were handed out", () => {
    const watermark = new PublicationWatermark();
    expect(watermark.writersRequest()).toEqual({ waiting: false, room: true, after: -1n });
    watermark.observe({ issued: 4n, writers: writers("1/1") });
    expect(watermark.writersRequest()).toEqual({ waiting: true, room: true, after: 4n });
    watermark.observe({ issued: 4n, writers: writers() });
    expect(watermark.writersRequest()).toEqual({ waiting: false, room: true, after: 4n });
    // A probe that did not read the writers changes nothing but the newest id.
    watermark.observe({ issued: 6n, writers: null });
    expect(watermark.safeThrough).toBe(4n);
    expect(watermark.waiting).toBe(true);
  });

  it("keeps at most four readings waiting behind a long transaction", () => {
    const watermark = new PublicationWatermark();
    for (let i = 1; i <= 6; i++) watermark.observe({ issued: BigInt(i), writers: writers("9/1", `${i}/1`) });
    expect(watermark.writersRequest().room).toBe(false);
    watermark.observe({ issued: 6n, writers: writers("9/1") });
    expect(watermark.safeThrough).toBe(0n);
    watermark.observe({ issued: 6n, writers: writers() });
    // Readings 1..4 settle; 6 is read anew now that there is room, and nobody writes.
    expect(watermark.safeThrough).toBe(6n);
  });

  it("follows a writer by its transaction id when its virtual one changes (PREPARE TRANSACTION)", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 5n, writers: [["3/7", "901"]] });
    watermark.observe({ issued: 5n, writers: [["-1/901", "901"]] });
    expect(watermark.safeThrough).toBe(0n);
    watermark.observe({ issued: 5n, writers: [] });
    expect(watermark.safeThrough).toBe(5n);
  });

  it("never moves back while the sequence does not", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 9n, writers: writers() });
    expect(watermark.safeThrough).toBe(9n);
    watermark.observe({ issued: 9n, writers: writers("2/2") });
    expect(watermark.safeThrough).toBe(9n);
  });

  it("starts over when the sequence comes back lower", () => {
    const watermark = new PublicationWatermark();
    watermark.observe({ issued: 40n, writers: writers() });
    expect(watermark.safeThrough).toBe(40n);
    expect(watermark.observe({ issued: 6n, writers: writers() })).toBe("regressed");
    expect(watermark.safeThrough).toBe(0n);
    watermark.observe({ issued: 8n, writers: writers() });
    expect(watermark.safeThrough).toBe(8n);
  });
});
