import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentError } from "../errors.js";
import { createHarness, type Harness } from "../testing/harness.js";
import { refundKeyOf } from "./gateway.js";
import { createSimulatedGateway } from "./simulator.js";

let h: Harness;
const amount = { amountMinor: 1290, currency: "EUR" };

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const call = () => ({ signal: AbortSignal.timeout(10_000) });
const charge = (token: string, key = randomUUID()) =>
  h.gateway.charge({ idempotencyKey: key, token, amount }, call());

describe("the simulated processor", () => {
  it.each(["tok_visa", "tok_mastercard"])("charges %s", async (token) => {
    const result = await charge(token);
    expect(result).toEqual({ status: "succeeded", reference: expect.stringMatching(/^ch_/) });
  });

  it.each([
    ["tok_declined", "CARD_DECLINED"],
    ["tok_insufficient_funds", "INSUFFICIENT_FUNDS"],
    ["tok_expired", "CARD_EXPIRED"],
    ["tok_4242", "INVALID_PAYMENT_METHOD"],
  ])("declines %s with %s", async (token, reason) => {
    expect(await charge(token)).toEqual({ status: "declined", reason, detail: expect.any(String) });
  });

  it("answers a repeated key with the first result and never charges twice, even concurrently", async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => charge("tok_visa", key)));
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    expect(await h.gateway.ledger(key)).toMatchObject({ calls: 8, result: "succeeded" });
    expect(await h.count("gateway_simulator_ledger", `idempotency_key = '${key}'`)).toBe(1);
  });

  it("fails tok_gateway_error transiently on the first call of each charge, then charges once", async () => {
    const key = randomUUID();
    const first = await charge("tok_gateway_error", key).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(PaymentError);
    expect(first).toMatchObject({ code: "PAYMENT_GATEWAY_UNAVAILABLE", retryable: true });
    expect(await h.gateway.findCharge(key, call())).toBeNull();
    const second = await charge("tok_gateway_error", key);
    expect(second.status).toBe("succeeded");
    expect(await charge("tok_gateway_error", key)).toEqual(second);
    expect(await h.gateway.findCharge(key, call())).toEqual(second);
    expect(await h.gateway.ledger(key)).toMatchObject({ calls: 3, result: "succeeded" });
    await expect(charge("tok_gateway_error")).rejects.toMatchObject({ code: "PAYMENT_GATEWAY_UNAVAILABLE" });
  });

  it("refuses a key reused for another request", async () => {
    const key = randomUUID();
    await charge("tok_visa", key);
    await expect(charge("tok_mastercard", key)).rejects.toMatchObject({ code: "PAYMENT_GATEWAY_REJECTED" });
  });

  it("refunds a charge once per refund key, and refuses to refund what was not charged", async () => {
    const key = randomUUID();
    await charge("tok_visa", key);
    const request = { idempotencyKey: refundKeyOf(key), chargeKey: key, amount };
    const first = await h.gateway.refund(request, call());
    expect(await h.gateway.refund(request, call())).toEqual(first);
    expect(await h.gateway.ledger(refundKeyOf(key))).toMatchObject({ calls: 2, result: "succeeded" });

    const declined = randomUUID();
    await charge("tok_declined", declined);
    await expect(
      h.gateway.refund({ idempotencyKey: refundKeyOf(declined), chargeKey: declined, amount }, call()),
    ).rejects.toMatchObject({ code: "PAYMENT_GATEWAY_REJECTED" });
  });

  it("rejects a request no retry can change (a malformed token, a key reused) as PAYMENT_GATEWAY_REJECTED", async () => {
    const key = randomUUID();
    await expect(charge("pm_card_visa", key)).rejects.toMatchObject({
      code: "PAYMENT_GATEWAY_REJECTED",
      retryable: false,
      reason: "INVALID_PAYMENT_METHOD",
    });
    expect(await h.gateway.ledger(key)).toBeNull();
    await charge("tok_visa", key);
    await expect(
      h.gateway.charge(
        { idempotencyKey: key, token: "tok_visa", amount: { ...amount, amountMinor: 1 } },
        call(),
      ),
    ).rejects.toMatchObject({ code: "PAYMENT_GATEWAY_REJECTED", retryable: false, reason: "OTHER" });
  });

  it("honours the caller's abort: a call abandoned before the processor settled it charges nothing", async () => {
    const slow = createSimulatedGateway({ pool: h.pool, latencyMs: 60_000 });
    const key = randomUUID();
    const abandoned = new AbortController();
    const pending = slow.charge(
      { idempotencyKey: key, token: "tok_visa", amount },
      { signal: abandoned.signal },
    );
    abandoned.abort(new Error("the caller gave up"));
    await expect(pending).rejects.toThrow();
    expect(await h.gateway.ledger(key)).toBeNull();
    expect(await h.gateway.findCharge(key, call())).toBeNull();
    // Its refunds and lookups are abandoned the same way.
    const refund = slow.refund(
      { idempotencyKey: refundKeyOf(key), chargeKey: key, amount },
      { signal: abandoned.signal },
    );
    await expect(refund).rejects.toThrow();
    await expect(slow.findCharge(key, { signal: abandoned.signal })).rejects.toThrow();
  });

  it("takes the configured latency per call", async () => {
    const slow = createSimulatedGateway({ pool: h.pool, latencyMs: 120 });
    const started = performance.now();
    await slow.charge({ idempotencyKey: randomUUID(), token: "tok_visa", amount }, call());
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});
