import { EventsError } from "@herald/events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OutboxError } from "../errors.js";
import type { ConsumerSettings } from "./context.js";
import { classify, RetryBudget } from "./retries.js";

const settings = (overrides: Partial<ConsumerSettings> = {}): ConsumerSettings => ({
  groupId: "g",
  topics: ["t"],
  maxAttempts: Number.POSITIVE_INFINITY,
  retryBudgetMs: 60_000,
  retry: { initialMs: 200, maxMs: 10_000 },
  deadLetterTopic: "g.dlq",
  inboxRetentionMs: 1,
  fromBeginning: true,
  partitionsConsumedConcurrently: 1,
  chunkBudgetMs: 50,
  consumerConfig: undefined,
  ...overrides,
});

describe("classify", () => {
  it("finds our infrastructure anywhere in a handler error's cause chain", () => {
    const noPartition = new OutboxError("OUTBOX_NO_PARTITION", "no partition");
    const wrapped = new Error("could not reserve", { cause: noPartition });
    expect(classify(wrapped)).toEqual({ error: noPartition, infrastructure: true });
    const registry = new EventsError("EVENTS_REGISTRY_UNAVAILABLE", "down");
    expect(classify(registry).error.code).toBe("OUTBOX_REGISTRY_UNAVAILABLE");
    expect(classify(registry).infrastructure).toBe(true);
  });

  it("blames the message for a handler's own error, retryable unless it says otherwise", () => {
    const plain = classify(new Error("boom"));
    expect([plain.error.code, plain.error.retryable, plain.infrastructure]).toEqual([
      "OUTBOX_HANDLER_FAILED",
      true,
      false,
    ]);
    const final = classify(Object.assign(new Error("invalid"), { retryable: false }));
    expect(final.error.retryable).toBe(false);
  });
});

describe("RetryBudget", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const handlerFailure = { error: new OutboxError("OUTBOX_HANDLER_FAILED", "boom"), infrastructure: false };
  const outage = { error: new OutboxError("OUTBOX_DATABASE_UNAVAILABLE", "down"), infrastructure: true };

  it("gives up once the time budget from the first failure is spent, never waiting past it", () => {
    vi.useFakeTimers({ now: 0 });
    const budget = new RetryBudget(settings({ retryBudgetMs: 1_000 }));
    const first = budget.next(handlerFailure, 1);
    expect("retryInMs" in first && first.retryInMs <= 1_000).toBe(true);
    vi.setSystemTime(900);
    const second = budget.next(handlerFailure, 2);
    expect("retryInMs" in second && second.retryInMs <= 100).toBe(true);
    vi.setSystemTime(1_000);
    const last = budget.next(handlerFailure, 3);
    expect("giveUp" in last && last.giveUp.code).toBe("OUTBOX_RETRIES_EXHAUSTED");
  });

  it("retries our infrastructure without limit and starts the budget again after an outage", () => {
    vi.useFakeTimers({ now: 0 });
    const budget = new RetryBudget(settings({ retryBudgetMs: 1_000, maxAttempts: 2 }));
    budget.next(handlerFailure, 1);
    vi.setSystemTime(10_000);
    for (let attempt = 2; attempt < 50; attempt++)
      expect("retryInMs" in budget.next(outage, attempt)).toBe(true);
    expect("retryInMs" in budget.next(handlerFailure, 50)).toBe(false);
    const fresh = new RetryBudget(settings({ retryBudgetMs: 1_000 }));
    fresh.next(handlerFailure, 1);
    vi.setSystemTime(20_000);
    fresh.next(outage, 2);
    expect("retryInMs" in fresh.next(handlerFailure, 3)).toBe(true);
  });

  it("gives up at once on an error that says retrying cannot help", () => {
    const budget = new RetryBudget(settings());
    const poison = {
      error: new OutboxError("OUTBOX_UNDECODABLE_MESSAGE", "bad", { retryable: false }),
      infrastructure: false,
    };
    expect(budget.next(poison, 1)).toEqual({ giveUp: poison.error });
  });
});
