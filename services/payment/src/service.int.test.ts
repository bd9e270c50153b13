import { randomUUID } from "node:crypto";
import { createScratchSchema, serviceEnvironment, testInfra } from "@herald/dev-stack/testing";
import { outboxMigrations } from "@herald/outbox";
import { buildServiceApp, createServiceContext, runMigrations, withTransaction } from "@herald/service-kit";
import { testTokens } from "@herald/service-kit/testing";
import { expect, it } from "vitest";
import { paymentMigrations } from "./migrations.js";
import { paymentService } from "./service.js";
import { logger, orderEvents } from "./testing/harness.js";

it("as declared: the consumer's handler records the charge, the background worker makes it", async () => {
  const scratch = await createScratchSchema(testInfra().databaseUrls.payment, "payment_service");
  const context = createServiceContext(paymentService, {
    env: serviceEnvironment(scratch.url, { PAYMENT_GATEWAY_LATENCY_MS: "20", PAYMENT_WORKER_POLL_MS: "20" }),
    logger,
  });
  try {
    await runMigrations(context.pool, [...outboxMigrations, ...paymentMigrations]);
    const app = await buildServiceApp(paymentService, context);
    const handle = paymentService.consumer!.handler(context);
    const stop = paymentService.background!(context)!;
    const orderId = randomUUID();
    const support = await testTokens.staff("support");
    const order = orderEvents(orderId, "tok_gateway_error");
    for (const event of [order.reserved(), order.placed()])
      await withTransaction(context.pool, (tx) => handle(event, tx));

    let payment: { status: string; attempts: number } | undefined;
    for (const deadline = Date.now() + 10_000; payment?.status !== "PROCESSED"; ) {
      if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(payment)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      payment = (
        await app.inject({
          url: `/payments?orderId=${orderId}`,
          headers: { authorization: `Bearer ${support}` },
        })
      ).json().payments[0];
    }
    await stop();
    expect(payment).toMatchObject({ status: "PROCESSED", attempts: 2 });
    const { rows } = await context.pool.query("SELECT event_type FROM outbox");
    expect(rows).toEqual([{ event_type: "PaymentProcessed" }]);
    await app.close();
  } finally {
    await context.pool.end();
    await scratch.drop();
  }
});
