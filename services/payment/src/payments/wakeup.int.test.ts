import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PaymentError } from "../errors.js";
import { createHarness, type Harness, orderEvents } from "../testing/harness.js";

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

/** Far longer than any wait below: a worker that charges within the test woke on a notification. */
const MINUTES = 10 * 60_000;

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the gateway worker's wake-ups", () => {
  it("charges an order reserved while it is idle, woken by the reaction's commit", async () => {
    const worker = h.worker({ pollMs: MINUTES, fallbackPollMs: MINUTES });
    worker.start();
    try {
      // Each order is reserved once the one before it is charged and the worker has registered as
      // idle again (it unregisters when it finds work), so it is waiting for a notification each time.
      for (let i = 0; i < 3; i++) {
        await waitFor("the worker to register as idle", async () => {
          const { rows } = await h.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM idle_listeners WHERE channel = 'herald_payment_work'",
          );
          return rows[0]!.n === 1;
        });
        const orderId = randomUUID();
        const order = orderEvents(orderId);
        await h.deliver(order.placed());
        await h.deliver(order.reserved());
        await waitFor(`order ${i} to be charged`, async () =>
          (await h.announced(orderId)).some((event) => event.type === "PaymentProcessed"),
        );
      }
    } finally {
      await worker.stop();
    }
    expect(await h.count("gateway_simulator_ledger", "result = 'succeeded'")).toBe(3);
  });

  it("retries a failed call when its backoff ends, with the fallback poll minutes away", async () => {
    let failures = 1;
    const worker = h.worker({
      pollMs: 20,
      fallbackPollMs: MINUTES,
      gateway: {
        ...h.gateway,
        async charge(request, call) {
          if (failures-- > 0)
            throw new PaymentError("PAYMENT_GATEWAY_UNAVAILABLE", "the processor is down", {
              retryable: true,
            });
          return h.gateway.charge(request, call);
        },
      },
    });
    worker.start();
    try {
      const orderId = randomUUID();
      const order = orderEvents(orderId);
      await h.deliver(order.placed());
      await h.deliver(order.reserved());
      await waitFor("the retried charge", async () =>
        (await h.announced(orderId)).some((event) => event.type === "PaymentProcessed"),
      );
    } finally {
      await worker.stop();
    }
  });
});
