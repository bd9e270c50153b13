import { describe, expect, it } from "vitest";
import { joinRun, leaveRun } from "./system.js";

const alive = (live: number[]) => (pid: number) => live.includes(pid);

describe("the shared e2e system's ledger", () => {
  it("stops what a dead run left behind when a run begins alone", () => {
    const { ledger, leftovers } = joinRun({ started: ["order", "order-relay"], runs: [11] }, 22, alive([22]));
    expect(leftovers).toEqual(["order", "order-relay"]);
    expect(ledger).toEqual({ started: [], runs: [22] });
  });

  it("leaves a live run's system running when a second run begins", () => {
    const { ledger, leftovers } = joinRun({ started: ["order"], runs: [11] }, 22, alive([11, 22]));
    expect(leftovers).toEqual([]);
    expect(ledger).toEqual({ started: ["order"], runs: [11, 22] });
  });

  it("stops nothing when a run ends while another still uses the system", () => {
    const { ledger, stop } = leaveRun({ started: ["order"], runs: [11, 22] }, 11, alive([11, 22]));
    expect(stop).toEqual([]);
    expect(ledger).toEqual({ started: ["order"], runs: [22] });
  });

  it("stops everything e2e runs started when the last live run ends", () => {
    const { ledger, stop } = leaveRun({ started: ["order", "zipkin"], runs: [11, 22] }, 22, alive([22]));
    expect(stop).toEqual(["order", "zipkin"]);
    expect(ledger).toEqual({ started: [], runs: [] });
  });
});
