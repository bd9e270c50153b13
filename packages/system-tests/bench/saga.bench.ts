import { rmSync } from "node:fs";
import { createStack, kafkaConfig, privateStackOptions, type Stack } from "@herald/dev-stack";
import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel } from "kafkajs";
import { createClient, orderRequest } from "../src/client.js";
import { cpuPer100, cpuSeconds } from "./saga/cpu.js";
import { held, type LoadResult, offer } from "./saga/offer.js";
import { addSkus } from "./saga/skus.js";
import { type Seen, watchSaga } from "./saga/watch.js";

/**
 * Far from the shared stack's ports and from the chaos test's (32xxx), and below the kernel's
 * ephemeral range (32768 up), where any outgoing connection can hold a port the stack would listen on.
 */
const BASE_PORT = 31_000;
const STACK_NAME = "bench-saga";
/**
 * Offered loads, in orders/s, run upwards until one is not held (the knee). The issue's 50, 100,
 * 200 and 400, with steps below 50: on 2 cores shared by everything the knee lies there.
 */
const LOADS = (process.env.BENCH_SAGA_LOADS ?? "10,20,30,40,50,100,200,400").split(",").map(Number);
/**
 * Loads the 10× SKUs and customers variant runs at; by default the highest load held at 1× and the
 * knee, so the two shapes compare where it matters.
 */
const SCALED_LOADS = process.env.BENCH_SAGA_SCALED_LOADS?.split(",").filter(Boolean).map(Number);
const SECONDS_PER_LOAD = Number(process.env.BENCH_SAGA_SECONDS ?? 20);
const TRICKLE = { perSecond: 2, seconds: 10 };
const CATALOG_SKUS = [
  "HRL-MUG-BLUE",
  "HRL-TEE-BLACK-M",
  "HRL-HOODIE-GREY-L",
  "HRL-POSTER-A2",
  "HRL-NOTEBOOK-A5",
  "HRL-STICKER-PACK",
];
const CUSTOMERS = 100;
const SCALE = 10;

interface Shape {
  readonly skus: readonly string[];
  readonly customers: number;
}

/**
 * The whole saga under fixed offered loads, open loop: orders are sent on a schedule whatever the
 * answers, so a slow system gets the load anyway and its latency shows. Every service and relay is
 * a separate process on a private stack (its own Kafka, registry, Postgres cluster, mail sink). An
 * order's latency runs from when it was due to when its OrderConfirmed reaches the `orders` topic
 * (seen by a consumer here), so it includes the POST, the relays, and each service's consumer. The
 * baseline is the same saga at a trickle (2 orders/s). A load is held when every order is terminal
 * within 30 s, every POST was accepted, and the terminal rate kept up (≥ 95% of offered).
 */
export default {
  name: "saga: placed → CONFIRMED at fixed offered loads (private stack)",
  async run({ progress }) {
    const options = {
      ...privateStackOptions(STACK_NAME, BASE_PORT),
      // The load generator is one client address placing many orders per customer: no limits here.
      serviceSettings: {
        ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: "100000000",
        ORDER_RATE_LIMIT_PER_CUSTOMER: "100000000",
      },
    };
    rmSync(options.stateDir, { recursive: true, force: true });
    process.env.LOG_LEVEL ??= "info";
    const stack: Stack = createStack(options, { services: true });
    progress("starting the private stack (infrastructure, 5 services, 4 relays)");
    await stack.up();
    const client = await createClient({ url: (service) => stack.serviceUrl(service) });
    const kafka = new Kafka({
      clientId: "saga-bench",
      ...kafkaConfig(stack.infra),
      logLevel: logLevel.NOTHING,
    });
    const seen: Seen = new Map();
    const observer = kafka.consumer({ groupId: `saga-bench-${Date.now()}`, maxWaitTimeInMs: 100 });
    try {
      await watchSaga(observer, seen);
      const base: Shape = {
        skus: CATALOG_SKUS.filter((sku) => sku !== "HRL-POSTER-A2"),
        customers: CUSTOMERS,
      };
      await client.restock(base.skus, 10_000_000);
      // Each customer's token, signed once before the clock starts.
      const tokens = await Promise.all(
        Array.from({ length: CUSTOMERS * SCALE }, (_, customer) =>
          testTokens.customer(`bench-customer-${customer}`, `bench-${customer}@example.com`),
        ),
      );
      // Two lines of different SKUs, the customers and SKUs taken in turn.
      const order = (shape: Shape, i: number) => {
        const first = shape.skus[i % shape.skus.length]!;
        const second = shape.skus[(i * 7 + 3) % shape.skus.length]!;
        const items = [
          { sku: first, quantity: 1 },
          ...(second === first ? [] : [{ sku: second, quantity: 2 }]),
        ];
        const customer = i % shape.customers;
        return {
          body: JSON.stringify({
            ...orderRequest({ email: `bench-${customer}@example.com`, items }),
            customerId: `bench-customer-${customer}`,
          }),
          token: tokens[customer]!,
        };
      };

      let sequence = 0;
      const cpu: string[] = [];
      const run = async (label: string, shape: Shape, perSecond: number, seconds: number) => {
        const before = cpuSeconds(options.stateDir);
        const result = await offer(
          stack,
          seen,
          perSecond,
          seconds,
          () => order(shape, sequence++),
          (done) => progress(`${label}: ${perSecond} orders/s, ${done}`),
        );
        cpu.push(
          `${label} at ${perSecond}/s: ${cpuPer100(before, cpuSeconds(options.stateDir), result.orders)}`,
        );
        if (result.refused > 0)
          cpu.push(
            `${label} at ${perSecond}/s refused ${result.refused}: ${[...result.refusals].map(([why, n]) => `${why} ×${n}`).join(", ")}`,
          );
        return result;
      };

      progress("warming up");
      await run("warm-up", base, 10, 5);
      const trickle = await run("baseline trickle", base, TRICKLE.perSecond, TRICKLE.seconds);
      const results: { shape: string; result: LoadResult }[] = [];
      let knee: number | undefined;
      for (const load of LOADS) {
        const result = await run("1× SKUs/customers", base, load, SECONDS_PER_LOAD);
        results.push({ shape: "1×", result });
        if (!held(result)) {
          knee = load;
          break;
        }
      }
      const scaled: Shape = {
        skus: Array.from(
          { length: base.skus.length * SCALE },
          (_, i) => `BENCH-SKU-${String(i).padStart(3, "0")}`,
        ),
        customers: CUSTOMERS * SCALE,
      };
      const lastHeld = results.filter((r) => held(r.result)).at(-1)?.result.offered;
      const scaledLoads = SCALED_LOADS ?? [lastHeld, knee].filter((load) => load !== undefined);
      if (scaledLoads.length > 0) {
        progress("adding 10× SKUs to the catalog and the shelves");
        await addSkus(stack, scaled.skus);
        for (const load of scaledLoads) {
          results.push({
            shape: "10×",
            result: await run("10× SKUs/customers", scaled, load, SECONDS_PER_LOAD),
          });
        }
      }

      const p = (values: number[], q: number) => Math.round(percentile(values, q));
      const row = (shape: string, result: LoadResult) => ({
        shape,
        "offered/s": result.offered,
        orders: result.orders,
        "sustained/s": Math.round(result.sustained),
        "confirmed p50 ms": p(result.toConfirmed, 50),
        "p95 ms": p(result.toConfirmed, 95),
        "p99 ms": p(result.toConfirmed, 99),
        "max ms": p(result.toConfirmed, 100),
        "POST p99 ms": p(result.post, 99),
        "hops p50 ms": result.hops.map((hop) => p(hop, 50)).join(" / "),
        cancelled: result.cancelled,
        "not terminal in 30 s": result.stuck,
        refused: result.refused,
        held: held(result) ? "yes" : "NO",
        "p99 vs trickle": ratio(percentile(result.toConfirmed, 99), percentile(trickle.toConfirmed, 99)),
      });
      const heldLoads = results
        .filter((r) => r.shape === "1×" && held(r.result))
        .map((r) => r.result.offered);
      return {
        rows: [row("trickle (baseline)", trickle), ...results.map((r) => row(r.shape, r.result))],
        notes: [
          `knee: ${knee === undefined ? `above ${LOADS[LOADS.length - 1]} orders/s (every load held)` : `between ${heldLoads.at(-1) ?? 0} and ${knee} orders/s (${knee} not held${LOADS.indexOf(knee) < LOADS.length - 1 ? "; higher loads not run" : ""})`}`,
          `${SECONDS_PER_LOAD} s per load; 1×: ${base.skus.length} SKUs, ${CUSTOMERS} customers; 10×: ${scaled.skus.length} SKUs, ${scaled.customers} customers (run after the 1× loads, on the same databases)`,
          "latency: from when an order was due (open loop) to its OrderConfirmed on the orders topic; every order pays with tok_visa and stock is plentiful",
          "hops p50: due → OrderPlaced on Kafka (POST + order relay) / → InventoryReserved (inventory consumer + relay) / → PaymentProcessed (payment consumer, worker poll, relay) / → OrderConfirmed (order consumer + relay)",
          "everything on one machine: Kafka, the registry, Postgres, 5 services, 4 relays and this load generator share its cores",
          ...cpu,
        ],
      };
    } finally {
      await observer.disconnect().catch(() => {});
      progress("stopping the private stack");
      await stack.down();
      rmSync(options.stateDir, { recursive: true, force: true });
    }
  },
} satisfies Benchmark;
