import { describe, expect, it } from "vitest";
import { parsePartitionBound, planPartitions } from "./partitions.js";

describe("parsePartitionBound", () => {
  it("reads the bounds Postgres prints", () => {
    expect(parsePartitionBound("outbox_p1", "FOR VALUES FROM ('1') TO ('100001')")).toEqual({
      name: "outbox_p1",
      from: 1n,
      to: 100001n,
    });
    expect(parsePartitionBound("p", "FOR VALUES FROM (MINVALUE) TO ('5')")).toEqual({
      name: "p",
      from: null,
      to: 5n,
    });
    expect(parsePartitionBound("p", "FOR VALUES FROM ('5') TO (MAXVALUE)")).toEqual({
      name: "p",
      from: 5n,
      to: null,
    });
    expect(parsePartitionBound("p", "DEFAULT")).toBeUndefined();
  });
});

/** The plan for partitions of ten ids each. */
const planInTens = (input: Omit<Parameters<typeof planPartitions>[0], "size">) =>
  planPartitions({ ...input, size: 10n });

describe("planPartitions", () => {
  const range = (from: number, to: number) => ({
    name: `outbox_p${from}`,
    from: BigInt(from),
    to: BigInt(to),
  });

  it("keeps the wanted number of partitions' ids ready beyond the last id handed out", () => {
    const plan = planInTens({
      partitions: [range(1, 11), range(11, 21)],
      issued: 15n,
      publishedThroughEverywhere: 0n,
      ahead: 2,
    });
    expect(plan.create).toEqual([
      { from: 21n, to: 31n },
      { from: 31n, to: 41n },
    ]);
    expect(plan.drop).toEqual([]);
  });

  it("drops exactly the partitions whose ids every bucket has published", () => {
    const plan = planInTens({
      partitions: [range(1, 11), range(11, 21), range(21, 31)],
      issued: 25n,
      publishedThroughEverywhere: 20n,
      ahead: 0,
    });
    expect(plan.drop).toEqual(["outbox_p1", "outbox_p11"]);
    const oneShort = planInTens({
      partitions: [range(1, 11), range(11, 21)],
      issued: 20n,
      publishedThroughEverywhere: 19n,
      ahead: 0,
    });
    expect(oneShort.drop).toEqual(["outbox_p1"]);
  });

  it("starts after the last id handed out when no partition covers it", () => {
    const plan = planInTens({
      partitions: [],
      issued: 41n,
      publishedThroughEverywhere: 0n,
      ahead: 1,
    });
    expect(plan.create).toEqual([{ from: 42n, to: 52n }]);
  });
});
