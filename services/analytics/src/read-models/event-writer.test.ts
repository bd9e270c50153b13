import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createEventWriter } from "./event-writer.js";

/** A client socket that takes one small chunk and then reads nothing until told to. */
function slowClient() {
  const received: string[] = [];
  let release: (() => void) | undefined;
  const sink = new Writable({
    highWaterMark: 16,
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      received.push(chunk);
      release = callback;
    },
  });
  return {
    sink,
    received,
    /** Reads what the socket holds, so it drains. */
    read() {
      const done = release;
      release = undefined;
      done?.();
    },
  };
}

const frame = (n: number) => `event: summary\ndata: {"facts":${n}}\n\n`;

describe("createEventWriter", () => {
  it("writes at once to a client that keeps up", () => {
    const client = slowClient();
    const writer = createEventWriter(client.sink, { stallMs: 60_000, onStall: () => {} });
    writer.send(frame(1));
    client.read();
    writer.send(frame(2));
    expect(client.received).toEqual([frame(1), frame(2)]);
    writer.close();
  });

  it("keeps only the latest frame for a client whose buffer is full, and sends it when it drains", async () => {
    const client = slowClient();
    const writer = createEventWriter(client.sink, { stallMs: 60_000, onStall: () => {} });
    writer.send(frame(1));
    expect(client.sink.writableNeedDrain).toBe(true);
    for (let n = 2; n <= 1000; n++) writer.send(frame(n));
    writer.heartbeat();
    // Nothing queued behind the full buffer: the writable holds only the first frame.
    expect(client.sink.writableLength).toBe(frame(1).length);
    expect(client.received).toEqual([frame(1)]);

    const drained = new Promise((resolve) => client.sink.once("drain", resolve));
    client.read();
    await drained;
    expect(client.received).toEqual([frame(1), frame(1000)]);
    writer.close();
  });

  it("gives up on a client that stays stuck past the deadline", async () => {
    const client = slowClient();
    const stalled = new Promise<void>((resolve) => {
      const writer = createEventWriter(client.sink, { stallMs: 20, onStall: resolve });
      writer.send(frame(1));
    });
    await expect(stalled).resolves.toBeUndefined();
  });
});
