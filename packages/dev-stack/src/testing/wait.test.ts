import { describe, expect, it } from "vitest";
import { waitFor } from "./wait.js";

describe("waitFor", () => {
  it("returns the probe's first answer that is there", async () => {
    let asked = 0;
    const answer = await waitFor("the third ask", () => (++asked === 3 ? { asked } : undefined), 5_000, 1);
    expect(answer).toEqual({ asked: 3 });
  });

  it("treats false and null as not yet, and a throwing probe as not yet", async () => {
    let asked = 0;
    const probe = () => {
      asked++;
      if (asked === 1) throw new Error("table missing");
      return asked === 2 ? null : asked !== 3;
    };
    expect(await waitFor("true", probe, 5_000, 1)).toBe(true);
    expect(asked).toBe(4);
  });

  it("fails naming what it waited for and the probe's last error", async () => {
    await expect(
      waitFor(
        () => "the order to be CONFIRMED",
        () => {
          throw new Error("404");
        },
        30,
        5,
      ),
    ).rejects.toThrow(/timed out after 0.03 s waiting for the order to be CONFIRMED \(last: 404\)/);
  });
});
