import { describe, expect, it } from "vitest";
import { backgroundLoop } from "./background.js";

describe("backgroundLoop", () => {
  it("runs once however often it is started, and stop waits for the run to see its signal and return", async () => {
    const runs: AbortSignal[] = [];
    let returned = false;
    const background = backgroundLoop(async (signal) => {
      runs.push(signal);
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      returned = true;
    });
    background.start();
    background.start();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.aborted).toBe(false);
    await background.stop();
    expect(runs[0]!.aborted).toBe(true);
    expect(returned).toBe(true);
  });

  it("does nothing when stopped while not running, and starts afresh after a stop", async () => {
    let runs = 0;
    const background = backgroundLoop(async () => {
      runs += 1;
    });
    await background.stop();
    background.start();
    await background.stop();
    background.start();
    await background.stop();
    expect(runs).toBe(2);
  });
});
