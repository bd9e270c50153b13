import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createShutdown } from "./shutdown.js";

const logger = pino({ level: "silent" });

describe("createShutdown", () => {
  it("closes in reverse order, once, and keeps going past a failing step", async () => {
    const closed: string[] = [];
    const shutdown = createShutdown({ logger, exit: () => {} });
    shutdown.add("pool", () => {
      closed.push("pool");
    });
    shutdown.add("consumer", async () => {
      closed.push("consumer");
      throw new Error("boom");
    });
    shutdown.add("http", async () => {
      closed.push("http");
    });
    await Promise.all([shutdown.close("test"), shutdown.close("again")]);
    expect(closed).toEqual(["http", "consumer", "pool"]);
  });

  it("exits 0 after a clean close on a signal, 1 after a failed one", async () => {
    for (const [fails, expected] of [
      [false, 0],
      [true, 1],
    ] as const) {
      const exited = new Promise<number>((resolve) => {
        const shutdown = createShutdown({ logger, exit: resolve });
        shutdown.add("thing", () => {
          if (fails) throw new Error("stuck");
        });
        shutdown.listen(["SIGUSR2"]);
      });
      process.kill(process.pid, "SIGUSR2");
      expect(await exited).toBe(expected);
    }
  });

  it("exits 1 when closing outlasts the timeout", async () => {
    const exited = new Promise<number>((resolve) => {
      const shutdown = createShutdown({ logger, timeoutMs: 50, exit: resolve });
      shutdown.add("hangs", () => new Promise<void>(() => {}));
      shutdown.listen(["SIGUSR2"]);
    });
    process.kill(process.pid, "SIGUSR2");
    expect(await exited).toBe(1);
  });
});
