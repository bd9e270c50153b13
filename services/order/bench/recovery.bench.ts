import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createScratchSchema, kafkaConfig, kafkaLoginEnvironment } from "@herald/dev-stack";
import type { Benchmark } from "@herald/dev-stack/bench";
import { createEventSerde } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { BENCH_ADDRESS } from "./bench-service.js";

const ROUNDS = 3;
const here = dirname(fileURLToPath(import.meta.url));

const order = {
  customerId: "bench-recovery",
  customerEmail: "recovery@example.com",
  items: [{ sku: "HRL-MUG-BLUE", quantity: 1 }],
  paymentMethodToken: "tok_visa",
  shippingAddress: BENCH_ADDRESS,
};

/**
 * How long a killed Order service is gone: the process is killed with SIGKILL under a trickle of
 * orders and restarted at once; measured are restart → first accepted order (HTTP) and restart →
 * first event consumed (a PaymentFailed sent at the restart, seen as the order turning CANCELLED).
 * `ORDER_MAIN` picks another entry point, e.g. an older build's, to measure a baseline.
 */
export default {
  name: "order service: recovery after kill -9",
  async run({ infra }) {
    const main = process.env.ORDER_MAIN ?? join(here, "..", "src", "main.ts");
    const scratch = await createScratchSchema(infra.databaseUrls.order, "order_recovery");
    const port = 21_000 + Math.floor(Math.random() * 9_000);
    const base = `http://127.0.0.1:${port}`;
    const auth = {
      authorization: `Bearer ${await testTokens.customer(order.customerId, order.customerEmail)}`,
    };
    const env = {
      ...process.env,
      DATABASE_URL: scratch.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(","),
      ...kafkaLoginEnvironment(infra.kafkaLogin),
      SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      RELAY_MODE: "external",
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
    };
    const start = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "--conditions=herald-source", main], {
        env,
        cwd: dirname(main),
        stdio: ["ignore", "ignore", "inherit"],
      });
    const place = async (): Promise<string | undefined> => {
      try {
        const response = await fetch(`${base}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body: JSON.stringify(order),
          signal: AbortSignal.timeout(2_000),
        });
        return response.status === 202 ? ((await response.json()) as { orderId: string }).orderId : undefined;
      } catch {
        return undefined;
      }
    };
    const statusOf = async (orderId: string): Promise<string | undefined> => {
      try {
        const response = await fetch(`${base}/orders/${orderId}`, {
          headers: auth,
          signal: AbortSignal.timeout(2_000),
        });
        return response.ok ? ((await response.json()) as { status: string }).status : undefined;
      } catch {
        return undefined;
      }
    };
    const until = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error("timed out");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const serde = createEventSerde({ registryUrl: infra.schemaRegistryUrl });
    const producer = new Kafka(kafkaConfig(infra, { logLevel: logLevel.NOTHING })).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    let child = start();
    const rows: Record<string, string | number>[] = [];
    try {
      // Warm up: the first start creates the schema's tables and joins the group.
      const warm = await until(place);
      await producer.send({ topic: "payments", messages: [await paymentFailed(warm)] });
      await until(async () => (await statusOf(warm)) === "CANCELLED");
      for (let round = 1; round <= ROUNDS; round++) {
        const victim = await until(place);
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        const restartedAt = performance.now();
        child = start();
        await producer.send({ topic: "payments", messages: [await paymentFailed(victim)] });
        const accepted = until(place).then(() => performance.now() - restartedAt);
        const consumed = until(async () => (await statusOf(victim)) === "CANCELLED").then(
          () => performance.now() - restartedAt,
        );
        const [acceptedMs, consumedMs] = await Promise.all([accepted, consumed]);
        rows.push({
          round,
          "restart → first order accepted (ms)": Math.round(acceptedMs),
          "restart → first event consumed (ms)": Math.round(consumedMs),
        });
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      await producer.disconnect();
      await scratch.drop();
    }
    return {
      rows,
      notes: [
        `entry point ${main}`,
        "the consumer group is the service's own (order-service); a killed member's session must expire before the group rebalances",
      ],
    };

    async function paymentFailed(orderId: string) {
      const event = sampleEvent("PaymentFailed", { orderId, paymentId: `pay_${randomUUID()}` });
      return { key: orderId, value: await serde.encode(event) };
    }
  },
} satisfies Benchmark;
