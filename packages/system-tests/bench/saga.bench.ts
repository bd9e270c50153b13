import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createStack, kafkaConfig, privateStackOptions, type Stack } from "@herald/dev-stack";
import { type Benchmark, percentile, ratio } from "@herald/dev-stack/bench";
import { HEADERS } from "@herald/outbox";
import { testTokens } from "@herald/service-kit/testing";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { createClient, orderRequest } from "../src/client.js";

/** Far from the shared stack's ports and from the other private stacks' (31xxx, 32xxx). */
const BASE_PORT = 34_000;
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
/** An order not CONFIRMED or CANCELLED this long after it was due is stuck. */
const TERMINAL_WITHIN_MS = 30_000;
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

interface LoadResult {
  readonly offered: number;
  readonly orders: number;
  /** Orders that reached CONFIRMED / CANCELLED, and those that did not within 30 s. */
  readonly confirmed: number;
  readonly cancelled: number;
  readonly stuck: number;
  /** POSTs not answered 202. */
  readonly refused: number;
  /** Orders terminal in time per second, from the first one terminal to the last. */
  readonly sustained: number;
  /** Due time (the schedule, not the send) → OrderConfirmed seen on Kafka, ms, ascending. */
  readonly toConfirmed: number[];
  /** Due time → 202, ms, ascending. */
  readonly post: number[];
  /** Per hop (due → OrderPlaced → InventoryReserved → PaymentProcessed → OrderConfirmed on Kafka), ms, ascending. */
  readonly hops: number[][];
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

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by each process of the private stack and its descendants (Postgres'
 * backends, Kafka's threads are its own), read from /proc through the stack's pid files, and by
 * this load generator. Where /proc is missing it is empty: the figures are a diagnosis, not the result.
 */
function cpuSeconds(stateDir: string): Map<string, number> {
  const used = new Map<string, number>();
  let stats: { pid: number; ppid: number; ticks: number }[];
  try {
    stats = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          const text = readFileSync(`/proc/${pid}/stat`, "utf8");
          const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
          return [
            { pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) },
          ];
        } catch {
          return [];
        }
      });
  } catch {
    return used;
  }
  const children = new Map<number, number[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  const ticksOf = new Map(stats.map((stat) => [stat.pid, stat.ticks]));
  const tree = (pid: number): number =>
    (ticksOf.get(pid) ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + tree(child), 0);
  let files: string[] = [];
  try {
    files = readdirSync(join(stateDir, "run")).filter((file) => file.endsWith(".pid"));
  } catch {}
  for (const file of files) {
    const pid = Number(
      readFileSync(join(stateDir, "run", file), "utf8")
        .trim()
        .split("\n")[0],
    );
    if (Number.isFinite(pid)) used.set(file.replace(/\.pid$/, ""), tree(pid) / TICKS_PER_SECOND);
  }
  const own = process.cpuUsage();
  used.set("load generator", (own.user + own.system) / 1e6);
  return used;
}

/** CPU seconds per 100 orders by component between two readings, the largest first. */
function cpuPer100(before: Map<string, number>, after: Map<string, number>, orders: number): string {
  const spent = [...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const);
  const total = spent.reduce((sum, [, seconds]) => sum + seconds, 0);
  const per100 = (seconds: number) => ((100 * seconds) / orders).toFixed(2);
  return `${per100(total)} CPU s per 100 orders: ${spent
    .filter(([, seconds]) => seconds > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${per100(seconds)}`)
    .join(", ")}`;
}

function held(result: LoadResult): boolean {
  return result.stuck === 0 && result.refused === 0 && result.sustained >= 0.95 * result.offered;
}

/** Per order, when each step of its saga was first seen on Kafka (performance.now() here). */
type Seen = Map<string, Map<string, number>>;

/** The saga's steps, in order, as the topics show them; the last two are the terminal ones. */
const STEPS = ["OrderPlaced", "InventoryReserved", "PaymentProcessed", "OrderConfirmed", "OrderCancelled"];

/** Notes when each step of each order reaches its topic (every event is keyed by its order id). */
async function watchSaga(consumer: Consumer, seen: Seen) {
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders", "inventory", "payments"], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 9,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const message of batch.messages) {
        const type = message.headers?.[HEADERS.eventType]?.toString();
        if (!type || !STEPS.includes(type)) continue;
        const orderId = message.key!.toString();
        let steps = seen.get(orderId);
        if (!steps) {
          steps = new Map();
          seen.set(orderId, steps);
        }
        if (!steps.has(type)) steps.set(type, at);
      }
    },
  });
}

function terminalOf(seen: Seen, orderId: string): { at: number; type: string } | undefined {
  const steps = seen.get(orderId);
  const confirmed = steps?.get("OrderConfirmed");
  if (confirmed !== undefined) return { at: confirmed, type: "OrderConfirmed" };
  const cancelled = steps?.get("OrderCancelled");
  return cancelled === undefined ? undefined : { at: cancelled, type: "OrderCancelled" };
}

/**
 * Sends `perSecond` orders for `seconds` on schedule (each due at its slot, sent whatever earlier
 * ones are doing), then waits until every accepted order is terminal or 30 s past its due time.
 */
async function offer(
  stack: Stack,
  seen: Seen,
  perSecond: number,
  seconds: number,
  order: () => { body: string; token: string },
  progress: (done: string) => void,
): Promise<LoadResult> {
  const url = `${stack.serviceUrl("order")}/orders`;
  const total = Math.round(perSecond * seconds);
  const placed: { due: number; orderId?: string; answeredAt?: number }[] = [];
  const sends: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const entry: (typeof placed)[number] = { due };
    placed.push(entry);
    const { body, token } = order();
    sends.push(
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(TERMINAL_WITHIN_MS),
      })
        .then(async (response) => {
          const text = await response.text();
          if (response.status === 202) {
            entry.orderId = (JSON.parse(text) as { orderId: string }).orderId;
            entry.answeredAt = performance.now();
          }
        })
        .catch(() => {}),
    );
    if (i % perSecond === 0) progress(`sending (${i}/${total})`);
  }
  await Promise.all(sends);
  for (;;) {
    const open = placed.filter((p) => p.orderId && !terminalOf(seen, p.orderId));
    const overdue = open.every((p) => performance.now() - p.due > TERMINAL_WITHIN_MS);
    if (open.length === 0 || overdue) break;
    progress(`waiting for ${open.length} orders to be terminal`);
    await sleep(200);
  }
  const accepted = placed.filter((p) => p.orderId);
  const ends = accepted.map((p) => terminalOf(seen, p.orderId!));
  // Each hop's latency over the confirmed orders: due → placed on Kafka → reserved → charged → confirmed.
  const hops = [0, 1, 2, 3].map((hop) =>
    accepted
      .flatMap((p) => {
        const steps = seen.get(p.orderId!);
        const from = hop === 0 ? p.due : steps?.get(STEPS[hop - 1]!);
        const to = steps?.get(STEPS[hop]!);
        return from === undefined || to === undefined ? [] : [to - from];
      })
      .sort((a, b) => a - b),
  );
  const inTime = accepted.filter((p, i) => ends[i] && ends[i]!.at - p.due <= TERMINAL_WITHIN_MS);
  const times = ends.flatMap((end) => (end ? [end.at] : []));
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return {
    offered: perSecond,
    orders: total,
    confirmed: ends.filter((end) => end?.type === "OrderConfirmed").length,
    cancelled: ends.filter((end) => end?.type === "OrderCancelled").length,
    stuck: accepted.length - inTime.length,
    refused: total - accepted.length,
    // n orders terminal over a span holds n - 1 intervals.
    sustained: span > 0 ? (inTime.length - 1) / span : 0,
    toConfirmed: accepted
      .map((p, i) => (ends[i]?.type === "OrderConfirmed" ? ends[i]!.at - p.due : Number.NaN))
      .filter((ms) => !Number.isNaN(ms))
      .sort((a, b) => a - b),
    post: accepted.map((p) => p.answeredAt! - p.due).sort((a, b) => a - b),
    hops,
  };
}

/** Adds SKUs to the Order catalog and puts plenty of each on Inventory's shelves (the services' own databases). */
async function addSkus(stack: Stack, skus: readonly string[]): Promise<void> {
  for (const [service, sql] of [
    [
      "order",
      "INSERT INTO catalog_items (sku, name, unit_price_minor, currency) SELECT s, 'Bench item ' || s, 990, 'EUR' FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING",
    ],
    [
      "inventory",
      "INSERT INTO stock (sku, on_hand) SELECT s, 10000000 FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING",
    ],
  ] as const) {
    const client = new pg.Client({ connectionString: stack.infra.databaseUrls[service] });
    await client.connect();
    try {
      await client.query(sql, [skus]);
    } finally {
      await client.end();
    }
  }
}
