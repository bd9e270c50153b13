import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createStack, privateStackOptions, SERVICE_NAMES, type Stack } from "@herald/dev-stack";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { checkCharges, checkMails, checkStock, waitUntilTerminal } from "./chaos/checks.js";
import { duplicatesAbsorbed, injectFaults, PAUSE_BETWEEN_FAULTS_MS } from "./chaos/faults.js";
import {
  type Accepted,
  KINDS,
  KINDS_ORDER,
  type KindName,
  MUG,
  POSTER,
  SKUS,
  STICKERS,
  startLoad,
  TEE,
} from "./chaos/load.js";
import { progress, seconds } from "./chaos/progress.js";
import type { ChaosSystem } from "./chaos/system.js";
import { type Client, createClient } from "./client.js";

/**
 * Faults under a steady stream of orders, on a stack of this test's own (own Kafka, registry,
 * Postgres cluster, mail sink, and every service and relay as a process), so any part can be killed
 * or restarted without disturbing anything else. Afterwards every order must be terminal with the
 * outcome its payment token calls for, charged at most once, mailed exactly once, and the stock
 * must add up.
 */

const STACK_NAME = "chaos";
/** Far from the shared stack's ports and the saga benchmark's (31xxx), below the ephemeral range (32768 up). */
const BASE_PORT = 32_000;
/**
 * Half the saga's knee on this 2-core machine (10–20 orders/s measured on 6 December 2026, down
 * from about 40 on 1 December; the benchmarks README), so that after each fault the backlog drains and the probe
 * order's 60 s bound measures recovery, not capacity. At 10/s, the knee itself, the consumers kept up
 * with the live stream but not with the backlog a kill built: a probe waited over 60 s behind it.
 */
const ORDERS_PER_SECOND = 5;

const options = {
  ...privateStackOptions(STACK_NAME, BASE_PORT),
  // The load generator is one client address placing orders for many customers.
  serviceSettings: { ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: "1000000" },
};
let stack: Stack;
let client: Client;

beforeAll(async () => {
  stack = createStack(options, { services: true });
  // Another run of this test (a second checkout's `npm test`?) or an interrupted one: never wipe a
  // live stack's state from under it.
  const running = (await stack.status()).filter((component) => component.state !== "stopped");
  if (running.length > 0)
    throw new Error(
      `the private stack "${STACK_NAME}" is already running (${running.map((c) => `${c.name}: ${c.detail}`).join("; ")}); stop those processes first`,
    );
  rmSync(options.stateDir, { recursive: true, force: true });
  await stack.up();
  progress("private stack up");
  client = await createClient({ url: (service) => stack.serviceUrl(service) });
}, 300_000);

/** Set once the test passed: a failed run keeps its logs for reading, the next run removes them. */
let passed = false;

afterAll(async () => {
  await stack?.down();
  if (passed) rmSync(options.stateDir, { recursive: true, force: true });
  else console.log(`chaos: the private stack's logs are kept in ${options.stateDir}/logs`);
}, 120_000);

describe("faults under a steady stream of orders, on a private stack", () => {
  it("ends every order in the right state, charged at most once, mailed once, with the stock adding up", {
    // Thirteen faults, each with its own 60 s recovery bound; the whole run took 335 s before the
    // broker authenticated and up to 650 s after on two loaded cores (see the cost issue's note).
    timeout: 900_000,
  }, async () => {
    onTestFailed(() => {
      passed = false;
    });
    const system: ChaosSystem = { stack, client, stateDir: options.stateDir };
    await client.restock([MUG, TEE, STICKERS]);
    expect((await client.setOnHand(POSTER, 0)).status).toBe(200);
    const before = new Map(
      await Promise.all(SKUS.map(async (sku) => [sku, await client.stock(sku)] as const)),
    );

    const load = startLoad(`${stack.serviceUrl("order")}/orders`, ORDERS_PER_SECOND);
    const loadStarted = Date.now();
    await sleep(PAUSE_BETWEEN_FAULTS_MS);
    const { figures, banked } = await injectFaults(system, load);
    await load.stop();
    const loadStopped = Date.now();
    progress(`load stopped: ${load.figures.placements.length} orders`);

    const { placements } = load.figures;
    expect(placements.filter((p) => p.rejected).map((p) => `${p.kind}: ${p.rejected}`)).toEqual([]);
    expect(placements.filter((p) => !p.orderId).length, "orders never accepted").toBe(0);
    const accepted = placements as Accepted[];
    expect(new Set(accepted.map((p) => p.orderId)).size, "one order per Idempotency-Key").toBe(
      accepted.length,
    );

    // Every order terminal, with the outcome its token and the stock call for.
    const final = await waitUntilTerminal(system, accepted);
    const ordersTerminal = Date.now();
    progress(`${final.size} of ${accepted.length} orders terminal`);
    const wrong = accepted.flatMap((p) => {
      const got = final.get(p.orderId);
      return JSON.stringify(got) === JSON.stringify(KINDS[p.kind].expected)
        ? []
        : [`${p.orderId} (${p.kind}): ${JSON.stringify(got ?? "not terminal")}`];
    });
    expect(wrong, "orders not in the state their token calls for").toEqual([]);

    const charges = await checkCharges(system, accepted, final);
    const mails = await checkMails(system, accepted, final, figures);
    const mailsSettled = Date.now();
    await checkStock(system, before, accepted, final);

    let duplicates = banked;
    for (const service of SERVICE_NAMES) duplicates += await duplicatesAbsorbed(stack, service);
    const count = (kind: KindName) => accepted.filter((p) => p.kind === kind).length;
    const confirmed = accepted.filter((p) => final.get(p.orderId)?.status === "CONFIRMED").length;
    const rows: [string, string][] = [
      [
        "orders accepted",
        `${accepted.length} in ${seconds(loadStopped - loadStarted)} (${ORDERS_PER_SECOND}/s offered)`,
      ],
      ["  paid / flaky gateway / declined / sold out", KINDS_ORDER.map(count).join(" / ")],
      ["  confirmed / cancelled", `${confirmed} / ${accepted.length - confirmed}`],
      ["POSTs refused, retried with the same key", String(load.figures.refused)],
      ["  answered from the idempotency store", String(load.figures.replayed)],
      ["faults", String(figures.length)],
      ...figures.map((f): [string, string] => [
        `  ${f.fault}`,
        `ready ${seconds(f.readyMs)}, orders confirm again ${seconds(f.recoveredMs)}`,
      ]),
      ["all orders terminal after the load stopped", seconds(ordersTerminal - loadStopped)],
      ["all mails in the mail sink after the load stopped", seconds(mailsSettled - loadStopped)],
      ["duplicates absorbed by inboxes (outcome=duplicate)", String(duplicates)],
      ["repeated gateway calls answered by idempotency key", String(charges.gatewayRepeats)],
      ["payment facts announced twice", String(charges.announcedTwice)],
      [
        "mails delivered twice (same Message-ID): by a live sender / after kill -9 email mid-send; under two identities",
        `${mails.resent} / ${mails.resentAfterKill}; ${mails.wrong}`,
      ],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    passed = true;
    console.log(
      `\nchaos figures\n${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n")}\n`,
    );
  });
});
