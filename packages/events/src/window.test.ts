import { describe, expect, it } from "vitest";
import { formatWindow, type GroupFacts, parseSubject, type WindowSubject, windowReport } from "./window.js";

const from: WindowSubject = {
  subject: "orders-herald.order.OrderPlaced",
  topic: "orders",
  record: "herald.order.OrderPlaced",
  versions: [1, 2],
};
const to: WindowSubject = {
  ...from,
  subject: "orders.v2-herald.order.OrderPlaced",
  topic: "orders.v2",
  versions: [1],
};
const none = { committedPartitions: 0, lag: 0, members: 0 };
const group = (
  groupId: string,
  old: Partial<GroupFacts["old"]>,
  now: Partial<GroupFacts["new"]>,
): GroupFacts => ({
  groupId,
  old: { ...none, ...old },
  new: { ...none, ...now },
});

describe("parseSubject", () => {
  it("splits at the last dash: topic names may hold one, record names may not", () => {
    expect(parseSubject("evolution-ab12-herald.order.OrderPlaced")).toEqual({
      topic: "evolution-ab12",
      record: "herald.order.OrderPlaced",
    });
  });
  it("refuses what is not <topic>-<record full name>", () => {
    for (const subject of [
      "orders",
      "-herald.order.OrderPlaced",
      "orders-OrderPlaced",
      "orders-herald.order.Order-Placed",
    ])
      expect(() => parseSubject(subject)).toThrow(/not a subject of the form <topic>-<record full name>/);
  });
});

describe("windowReport", () => {
  it("keeps the window open while a group reads the old topic, and closes it once none does", () => {
    const facts = [
      group("payment-service", { committedPartitions: 6, members: 2 }, {}),
      // Moved: its new build reads the new topic; the old offsets stay behind.
      group("inventory-service", { committedPartitions: 6, lag: 40 }, { committedPartitions: 6, members: 1 }),
      // Down, last seen on the old topic: it will come back there.
      group("email-service", { committedPartitions: 3 }, {}),
      // Reads neither topic.
      group("analytics-rebuild-1", {}, {}),
    ];
    const open = windowReport(from, to, facts);
    expect(open.groups.map((g) => [g.groupId, g.reads])).toEqual([
      ["email-service", "old"],
      ["inventory-service", "new"],
      ["payment-service", "old"],
    ]);
    expect(open.stillOnOld).toEqual(["email-service", "payment-service"]);
    expect(formatWindow(open)).toContain(
      "2 groups still read the old version (email-service, payment-service): keep publishing both",
    );

    const closed = windowReport(from, to, [
      group("payment-service", { committedPartitions: 6 }, { committedPartitions: 6, members: 2 }),
      group("email-service", { committedPartitions: 3 }, { committedPartitions: 1 }),
    ]);
    expect(closed.stillOnOld).toEqual([]);
    expect(formatWindow(closed)).toContain("no group reads the old version: the window can close");
  });

  it("counts a group with any member still on the old topic as reading it", () => {
    const report = windowReport(from, to, [
      group(
        "payment-service",
        { committedPartitions: 6, members: 1 },
        { committedPartitions: 6, members: 1 },
      ),
    ]);
    expect(report.stillOnOld).toEqual(["payment-service"]);
  });

  it("refuses two subjects on one topic: offsets could not tell the versions apart", () => {
    expect(() => windowReport(from, { ...to, topic: "orders" }, [])).toThrow(
      /both subjects are on topic "orders"/,
    );
  });
});
