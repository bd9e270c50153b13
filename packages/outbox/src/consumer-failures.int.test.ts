import { uniqueName } from "@herald/dev-stack/testing";
import { createEventSerde, type DomainEvent } from "@herald/events";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { ConsumeReport } from "./consumer.js";
import { HEADERS } from "./headers.js";
import { withSavepoint } from "./savepoint.js";
import { consumerRig } from "./testing/consumer-rig.js";
import { orderPlaced, waitFor } from "./testing/support.js";

/** Failures: a rolled-back COMMIT, savepoints, infrastructure retried without limit, retry budgets, parked keys. */
describe("the consumer", { timeout: 90_000 }, () => {
  const {
    rig,
    setUp,
    send,
    sendEvents,
    consumer,
    orderIdOf,
    recordEffect,
    count,
    deadLetters,
    idOf,
    finalOutcome,
  } = consumerRig();

  /** A scratch schema whose claims table already holds ord_1, and two events sent, of ord_0 and ord_1. */
  async function setUpClaimed() {
    const { topic, db } = await setUp();
    await db.pool.query("CREATE TABLE claims (order_id text PRIMARY KEY)");
    await db.pool.query("INSERT INTO claims VALUES ('ord_1')");
    return { topic, sent: await sendEvents(topic, 2, 2) };
  }

  it("does not report a transaction that COMMIT rolled back as processed", async () => {
    const { topic, sent } = await setUpClaimed();
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId,
      topics: [topic],
      maxAttempts: 2,
      retry: { initialMs: 20, maxMs: 50 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        await recordEffect(event, tx);
        // "Insert, ignore a unique violation" without a savepoint: the transaction is now aborted.
        await tx.query("INSERT INTO claims VALUES ($1)", [orderIdOf(event)]).catch(() => {});
      },
    }).start();
    await waitFor("both outcomes", () => sent.every(({ event }) => finalOutcome(outcomes, event)));

    expect(finalOutcome(outcomes, sent[0]!.event)?.outcome).toBe("processed");
    const rolledBack = finalOutcome(outcomes, sent[1]!.event);
    expect([rolledBack?.outcome, rolledBack?.error?.code]).toEqual([
      "dead_lettered",
      "OUTBOX_RETRIES_EXHAUSTED",
    ]);
    expect(outcomes.filter((o) => o.outcome === "retried").map((o) => o.error?.code)).toEqual([
      "OUTBOX_TRANSACTION_ROLLED_BACK",
    ]);
    const [letter] = await deadLetters(groupId, 1);
    expect(letter!.headers[HEADERS.dlqCauseCode]).toBe("OUTBOX_TRANSACTION_ROLLED_BACK");
    expect(await count("inbox")).toBe(1);
    expect(await count("effects")).toBe(1);
    expect(await count("outbox")).toBe(1);
  });

  it("lets a handler swallow an expected database error under withSavepoint", async () => {
    const { topic } = await setUpClaimed();
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        await recordEffect(event, tx);
        await withSavepoint(tx, () => tx.query("INSERT INTO claims VALUES ($1)", [orderIdOf(event)])).catch(
          (error: { code?: string }) => {
            if (error.code !== "23505") throw error;
          },
        );
      },
    }).start();
    await waitFor("both processed", () => outcomes.filter((o) => o.outcome === "processed").length === 2);

    expect(outcomes.map((o) => o.outcome)).toEqual(["processed", "processed"]);
    expect(await count("inbox")).toBe(2);
    expect(await count("effects")).toBe(2);
    expect(await count("outbox")).toBe(2);
    expect(await count("claims")).toBe(2);
  });

  it("retries a failure of the outbox itself without limit instead of dead-lettering, and says so", async () => {
    const { topic, db } = await setUp();
    // No partition for new outbox rows: enqueue in the handler fails with OUTBOX_NO_PARTITION.
    const { rows } = await db.pool.query<{ name: string }>(
      "SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'outbox'::regclass",
    );
    for (const { name } of rows) await db.pool.query(`DROP TABLE ${name}`);
    await sendEvents(topic, 1, 1);
    const groupId = uniqueName("group");
    const metrics = new Registry();
    const outcomes: ConsumeReport[] = [];
    const blocked: string[] = [];
    const created = consumer({
      groupId,
      topics: [topic],
      metrics,
      maxAttempts: 2,
      retryBudgetMs: 100,
      retry: { initialMs: 10, maxMs: 20 },
      hooks: {
        outcome: (report) => void outcomes.push(report),
        blocked: (error) => void blocked.push(error?.code ?? "unblocked"),
      },
      handle: recordEffect,
    });
    await created.start();
    await waitFor("several retries", () => outcomes.filter((o) => o.outcome === "retried").length >= 6);

    expect(outcomes.every((o) => o.outcome === "retried" && o.error?.code === "OUTBOX_NO_PARTITION")).toBe(
      true,
    );
    expect(created.health().blocked?.error.code).toBe("OUTBOX_NO_PARTITION");
    expect(await metrics.metrics()).toMatch(/herald_consumer_blocked_partitions\{[^}]*\} 1/);

    await db.pool.query("CREATE TABLE outbox_repaired PARTITION OF outbox FOR VALUES FROM (1) TO (1000000)");
    await waitFor("the event processed", () => outcomes.some((o) => o.outcome === "processed"));

    expect(outcomes.filter((o) => o.outcome === "dead_lettered")).toEqual([]);
    expect(blocked).toEqual(["OUTBOX_NO_PARTITION", "unblocked"]);
    expect(created.health().blocked).toBeUndefined();
    expect(await metrics.metrics()).toMatch(/herald_consumer_blocked_partitions\{[^}]*\} 0/);
    expect(await count("effects")).toBe(1);
  });

  it("retries a handler's unreachable registry without limit instead of dead-lettering", async () => {
    const { topic } = await setUp();
    await sendEvents(topic, 1, 1);
    const unreachable = createEventSerde({ registryUrl: "http://127.0.0.1:9/apis/ccompat/v7" });
    const outcomes: ConsumeReport[] = [];
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      maxAttempts: 2,
      retryBudgetMs: 0,
      retry: { initialMs: 10, maxMs: 20 },
      hooks: { outcome: (report) => void outcomes.push(report) },
      async handle(event, tx) {
        // A handler that needs the registry (e.g. to encode a payload for a third party).
        const serde = outcomes.length < 4 ? unreachable : rig.topics!.serde;
        await serde.encode(event);
        await recordEffect(event, tx);
      },
    }).start();
    await waitFor("the final outcome", () => outcomes.some((o) => o.outcome !== "retried"));

    expect(outcomes.map((o) => [o.outcome, o.error?.code])).toEqual([
      ...Array.from({ length: 4 }, () => ["retried", "OUTBOX_REGISTRY_UNAVAILABLE"]),
      ["processed", undefined],
    ]);
  });

  it("gives a failing message a retry budget in time, not a few quick attempts", async () => {
    const { topic } = await setUp();
    await sendEvents(topic, 1, 1);
    const outcomes: ConsumeReport[] = [];
    const startedAt = Date.now();
    let deadAt = 0;
    await consumer({
      groupId: uniqueName("group"),
      topics: [topic],
      retryBudgetMs: 1_500,
      retry: { initialMs: 20, maxMs: 100 },
      hooks: {
        outcome: (report) => {
          outcomes.push(report);
          if (report.outcome === "dead_lettered") deadAt = Date.now();
        },
      },
      async handle() {
        throw new Error("the payment provider is down");
      },
    }).start();
    await waitFor("the dead letter", () => deadAt > 0);

    const failures = outcomes.filter((o) => o.outcome === "retried");
    expect(deadAt - startedAt).toBeGreaterThanOrEqual(1_500);
    expect(failures.length).toBeGreaterThan(5);
    expect(outcomes.at(-1)?.error?.code).toBe("OUTBOX_RETRIES_EXHAUSTED");
  });

  it("parks a dead-lettered key: its later events follow it to the DLQ, also after a restart", async () => {
    const { topic, db } = await setUp();
    const a = [1, 2, 3, 4].map((n) => orderPlaced("ord_a", n));
    const b = [1, 2, 3, 4].map((n) => orderPlaced("ord_b", n));
    const encode = async (event: DomainEvent) => ({
      key: orderIdOf(event),
      value: await rig.topics!.serde.encode(event),
    });
    await send(topic, await Promise.all([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!].map(encode)));
    const groupId = uniqueName("group");
    const outcomes: ConsumeReport[] = [];
    const poison = idOf(a[1]!);
    const options = {
      groupId,
      topics: [topic],
      hooks: { outcome: (report: ConsumeReport) => void outcomes.push(report) },
    };
    const first = consumer({
      ...options,
      async handle(event, tx) {
        if (idOf(event) === poison)
          throw Object.assign(new Error("order total does not add up"), { retryable: false });
        await recordEffect(event, tx);
      },
    });
    await first.start();
    await waitFor("six outcomes", () =>
      [...a.slice(0, 3), ...b.slice(0, 3)].every((e) => finalOutcome(outcomes, e)),
    );
    await first.stop();
    rig.consumers.splice(rig.consumers.indexOf(first), 1);

    // A restart, with a handler that would now accept everything: ord_a stays parked until redriven.
    await consumer({ ...options, handle: recordEffect }).start();
    await send(topic, await Promise.all([a[3]!, b[3]!].map(encode)));
    await waitFor("eight outcomes", () => [...a, ...b].every((e) => finalOutcome(outcomes, e)));

    const summary = (events: DomainEvent[]) =>
      events.map((e) => {
        const report = finalOutcome(outcomes, e);
        return [report?.outcome, report?.error?.code];
      });
    expect(summary(b)).toEqual(b.map(() => ["processed", undefined]));
    expect(summary(a)).toEqual([
      ["processed", undefined],
      ["dead_lettered", "OUTBOX_HANDLER_FAILED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
      ["dead_lettered", "OUTBOX_KEY_PARKED"],
    ]);
    const letters = await deadLetters(groupId, 3);
    expect(
      letters.map((l) => [l.key, l.headers[HEADERS.eventId] ?? l.headers[HEADERS.dlqErrorCode]]),
    ).toHaveLength(3);
    expect(letters.map((l) => l.headers[HEADERS.dlqErrorCode])).toEqual([
      "OUTBOX_HANDLER_FAILED",
      "OUTBOX_KEY_PARKED",
      "OUTBOX_KEY_PARKED",
    ]);
    const { rows } = await db.pool.query(
      "SELECT consumer_group, message_key, error_code FROM consumer_parked_keys",
    );
    expect(rows).toEqual([
      { consumer_group: groupId, message_key: "ord_a", error_code: "OUTBOX_HANDLER_FAILED" },
    ]);
    expect(await count("effects WHERE order_id = 'ord_a'")).toBe(1);
  });
});
