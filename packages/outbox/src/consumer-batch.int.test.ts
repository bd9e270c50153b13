import { uniqueName } from "@herald/dev-stack/testing";
import { describe, expect, it } from "vitest";
import type { ConsumeReport } from "./consumer.js";
import { HEADERS } from "./headers.js";
import { consumerRig } from "./testing/consumer-rig.js";
import { waitFor } from "./testing/support.js";

/** A partition's batch shares transactions: one failing message among neighbours that succeed. */
describe("the consumer's batches", { timeout: 90_000 }, () => {
  const { setUp, sendEvents, consumer, recordEffect, count, deadLetters, idOf, finalOutcome } = consumerRig();

  it("rolls back only the failing handler of a batch, retries it before its key's later events, and commits its neighbours once", async () => {
    const { topic } = await setUp();
    // Nine events of three orders in one partition, fetched as one batch; the fifth fails at first.
    const sent = await sendEvents(topic, 9, 3, 0);
    const ids = sent.map(({ event }) => idOf(event));
    const flaky = ids[4]!;
    const earlier = ids.slice(0, 4);
    const calls = new Map<string, number>();
    const handled: string[] = [];
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      retry: { initialMs: 20, maxMs: 50 },
      // The nine share one transaction however slow the machine: the fifth fails in the middle of it.
      chunkBudgetMs: 60_000,
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        const id = idOf(event);
        calls.set(id, (calls.get(id) ?? 0) + 1);
        await recordEffect(event, tx);
        // It fails until the effects of the four events before it are committed (read on another
        // connection): a batch that kept its transaction open across the retries never gets there.
        if (id === flaky && (await count(`effects WHERE event_id = ANY('{${earlier.join(",")}}')`)) < 4)
          throw new Error("the stock service is busy");
        handled.push(id);
      },
    }).start();
    await waitFor("every event's final outcome", () =>
      sent.every(({ event }) => finalOutcome(outcomes, event)),
    );

    expect(handled).toEqual(ids);
    expect(ids.map((id) => calls.get(id))).toEqual([1, 1, 1, 1, 2, 1, 1, 1, 1]);
    expect(
      outcomes.filter((o) => o.outcome === "retried").map((o) => [o.event && idOf(o.event), o.attempt]),
    ).toEqual([[flaky, 1]]);
    expect(
      sent.map(({ event }) => [
        finalOutcome(outcomes, event)?.outcome,
        finalOutcome(outcomes, event)?.attempt,
      ]),
    ).toEqual(ids.map((id) => ["processed", id === flaky ? 2 : 1]));
    // The failed attempt's writes were rolled back alone, and its inbox entry with them.
    expect(await count("effects")).toBe(9);
    expect(await count("(SELECT DISTINCT event_id FROM effects) e")).toBe(9);
    expect(await count("outbox")).toBe(9);
    expect(await count("inbox")).toBe(9);
  });

  it("parks the key of a message dead-lettered in the middle of a batch: its later event in the batch follows it", async () => {
    const { topic } = await setUp();
    const sent = await sendEvents(topic, 9, 3, 0);
    const ids = sent.map(({ event }) => idOf(event));
    // ord_0's second event (offset 3) is rejected; its third (offset 6) must not be applied.
    const rejected = ids[3]!;
    const groupId = uniqueName("group");
    const calls = new Map<string, number>();
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId,
      topics: [topic],
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        const id = idOf(event);
        calls.set(id, (calls.get(id) ?? 0) + 1);
        await recordEffect(event, tx);
        if (id === rejected)
          throw Object.assign(new Error("order total does not add up"), { retryable: false });
      },
    }).start();
    await waitFor("every event's final outcome", () =>
      sent.every(({ event }) => finalOutcome(outcomes, event)),
    );

    expect(
      sent.map(({ event }) => [
        finalOutcome(outcomes, event)?.outcome,
        finalOutcome(outcomes, event)?.error?.code,
      ]),
    ).toEqual(
      ids.map((_, i) =>
        i === 3
          ? ["dead_lettered", "OUTBOX_HANDLER_FAILED"]
          : i === 6
            ? ["dead_lettered", "OUTBOX_KEY_PARKED"]
            : ["processed", undefined],
      ),
    );
    expect(ids.map((id) => calls.get(id))).toEqual([1, 1, 1, 1, 1, 1, undefined, 1, 1]);
    const letters = await deadLetters(groupId, 2);
    expect(letters.map((l) => [l.headers[HEADERS.dlqOffset], l.headers[HEADERS.dlqErrorCode]])).toEqual([
      ["3", "OUTBOX_HANDLER_FAILED"],
      ["6", "OUTBOX_KEY_PARKED"],
    ]);
    expect(await count("effects")).toBe(7);
    expect(await count("effects WHERE order_id = 'ord_0'")).toBe(1);
    expect(await count("inbox")).toBe(7);
    expect(await count(`inbox WHERE event_id IN ('${rejected}', '${ids[6]}')`)).toBe(0);
  });
});
