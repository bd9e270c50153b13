import { describe, expect, it } from "vitest";
import { parkRule } from "./park-rules.js";

describe("parkRule", () => {
  it("makes a live message of a parked key follow it, spoiling a redrive under way", () => {
    expect(parkRule(null, undefined)).toEqual({ apply: false, abandonRedrive: false });
    expect(parkRule("r1", undefined)).toEqual({ apply: false, abandonRedrive: true });
  });

  it("applies the messages of the key's redrive, the last one unparking it", () => {
    expect(parkRule("r1", { token: "r1", last: false })).toEqual({ apply: true, unparkWith: undefined });
    expect(parkRule("r1", { token: "r1", last: true })).toEqual({ apply: true, unparkWith: "r1" });
  });

  it("makes a message of another redrive follow without spoiling the current one", () => {
    expect(parkRule("r2", { token: "r1", last: true })).toEqual({ apply: false, abandonRedrive: false });
    expect(parkRule(null, { token: "r1", last: true })).toEqual({ apply: false, abandonRedrive: false });
  });
});
