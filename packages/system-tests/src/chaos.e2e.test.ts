import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createStack,
  kafkaConfig,
  privateStackOptions,
  SERVICE_NAMES,
  type ServiceName,
  type Stack,
} from "@herald/dev-stack";
import { createEventSerde } from "@herald/events";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  type Client,
  createClient,
  eventually,
  orderRequest,
  type ReceivedMail,
  type StockLevel,
  TERMINAL,
} from "./client.js";

/**
 * Faults under a steady stream of orders, on a stack of this test's own (own Kafka, registry,
 * Postgres cluster, mail sink, and every service and relay as a process), so any part can be killed
 * or restarted without disturbing anything else. Afterwards every order must be terminal with the
 * outcome its payment token calls for, charged at most once, mailed exactly once, and the stock
 * must add up.
 */

const STACK_NAME = "chaos";
/** Far from the shared stack's ports and from other private stacks' (31xxx). */
const BASE_PORT = 32_000;
const ORDERS_PER_SECOND = 10;
/** Load kept running between two faults, at least, so every fault hits a system under load. */
const PAUSE_BETWEEN_FAULTS_MS = 3_000;
/** How long a refused POST keeps being retried (with its Idempotency-Key) after the load stopped. */
const RETRY_AFTER_STOP_MS = 60_000;
const SETTLE_TIMEOUT_MS = 120_000;

const MUG = "HRL-MUG-BLUE";
const TEE = "HRL-TEE-BLACK-M";
const STICKERS = "HRL-STICKER-PACK";
/** Kept at zero on hand: orders including it are cancelled as out of stock, their other lines unreserved. */
const POSTER = "HRL-POSTER-A2";
const SKUS = [MUG, TEE, STICKERS, POSTER] as const;

interface Kind {
  readonly token: string;
  readonly items: readonly { sku: string; quantity: number }[];
  readonly expected: { status: "CONFIRMED" } | { status: "CANCELLED"; reason: string };
}

const KINDS = {
  paid: {
    token: "tok_visa",
    items: [
      { sku: MUG, quantity: 1 },
      { sku: TEE, quantity: 2 },
    ],
    expected: { status: "CONFIRMED" },
  },
  declined: {
    token: "tok_declined",
    items: [{ sku: MUG, quantity: 2 }],
    expected: { status: "CANCELLED", reason: "PAYMENT_FAILED" },
  },
  flaky: {
    token: "tok_gateway_error",
    items: [{ sku: STICKERS, quantity: 3 }],
    expected: { status: "CONFIRMED" },
  },
  soldOut: {
    token: "tok_visa",
    items: [
      { sku: TEE, quantity: 1 },
      { sku: POSTER, quantity: 1 },
    ],
    expected: { status: "CANCELLED", reason: "OUT_OF_STOCK" },
  },
} as const satisfies Record<string, Kind>;
type KindName = keyof typeof KINDS;
/** The order the figures table lists the kinds in. */
const KINDS_ORDER: readonly KindName[] = ["paid", "flaky", "declined", "soldOut"];
const MIX: readonly KindName[] = ["paid", "declined", "paid", "flaky", "paid", "soldOut", "paid", "flaky"];

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

const started = Date.now();
/** Progress, as it happens: a run of minutes should say where it is. */
function progress(message: string): void {
  const now = new Date();
  process.stdout.write(
    `chaos ${now.toISOString().slice(11, 19)} +${seconds(now.getTime() - started)}: ${message}\n`,
  );
}

/** An order the load placed: what was asked, and the id the service answered with. */
interface Placement {
  readonly kind: KindName;
  readonly email: string;
  orderId?: string;
  /** POST attempts, the accepted one included. */
  attempts: number;
  /** A 4xx other than a retryable one: a defect, reported at the end. */
  rejected?: string;
}

interface LoadFigures {
  readonly placements: Placement[];
  /** POSTs refused (connection refused, 5xx, timeout) and retried with the same Idempotency-Key. */
  refused: number;
  /** Retried POSTs answered with the stored first response (`idempotent-replayed`). */
  replayed: number;
}

/**
 * Places one order as a careful client does: one Idempotency-Key for the order, retried with
 * backoff while the service is away, until it is accepted, refused for good, or `giveUp()` holds.
 */
async function place(kind: KindName, figures: LoadFigures, giveUp: () => boolean): Promise<Placement> {
  const email = `chaos-${kind}-${randomUUID()}@example.com`;
  const placement: Placement = { kind, email, attempts: 0 };
  figures.placements.push(placement);
  const request = orderRequest({
    email,
    token: KINDS[kind].token,
    items: KINDS[kind].items.map((item) => ({ ...item })),
  });
  const body = JSON.stringify(request);
  const customer = await testTokens.customer(request.customerId, request.customerEmail);
  const key = randomUUID();
  for (let backoff = 200; !giveUp(); backoff = Math.min(backoff * 2, 2_000)) {
    placement.attempts += 1;
    const answer = await fetch(`${stack.serviceUrl("order")}/orders`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": key,
        authorization: `Bearer ${customer}`,
      },
      body,
      signal: AbortSignal.timeout(10_000),
    }).then(
      async (response) => ({ response, text: await response.text() }),
      () => undefined,
    );
    if (answer?.response.status === 202) {
      placement.orderId = (JSON.parse(answer.text) as { orderId: string }).orderId;
      if (answer.response.headers.get("idempotent-replayed") === "true") figures.replayed += 1;
      return placement;
    }
    const status = answer?.response.status;
    if (status !== undefined && status < 500 && ![408, 409, 429].includes(status)) {
      placement.rejected = `${status} ${answer?.text}`;
      return placement;
    }
    figures.refused += 1;
    await sleep(backoff);
  }
  return placement;
}

/** Orders at a steady rate in the background, with the kinds' mix, until stopped. */
function startLoad(perSecond: number) {
  const figures: LoadFigures = { placements: [], refused: 0, replayed: 0 };
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  let giveUpAt = Number.POSITIVE_INFINITY;
  const giveUp = () => Date.now() > giveUpAt;
  const started = Date.now();
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const due = started + (i * 1_000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const placing = place(MIX[i % MIX.length]!, figures, giveUp);
      inFlight.add(placing);
      void placing.finally(() => inFlight.delete(placing));
    }
  })();
  return {
    figures,
    /** Places one order outside the stream (a probe) through the same careful client, for at most `withinMs`. */
    probe: (withinMs: number) => {
      const deadline = Date.now() + withinMs;
      return place("paid", figures, () => giveUp() || Date.now() > deadline);
    },
    async stop(): Promise<void> {
      stopping = true;
      giveUpAt = Date.now() + RETRY_AFTER_STOP_MS;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

/** Fails, with the end of its log, when a process of the stack died (e.g. crashed by the fault). */
async function expectAllRunning(after: string): Promise<void> {
  const dead = (await stack.status()).filter((component) => component.state === "stopped");
  const reports = dead.map((component) => {
    const log = join(options.stateDir, "logs", `${component.name}.log`);
    const tail = readFileSync(log, "utf8").trimEnd().split("\n").slice(-12).join("\n");
    return `${component.name} died after "${after}"; ${log} ends with:\n${tail}`;
  });
  expect(reports).toEqual([]);
}

/** `herald_consumer_messages_total{outcome="duplicate"}` of a running service: redeliveries its inbox absorbed. */
async function duplicatesAbsorbed(service: ServiceName): Promise<number> {
  const text = await fetch(`${stack.serviceUrl(service)}/metrics`, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.text())
    .catch(() => "");
  let total = 0;
  for (const line of text.split("\n"))
    if (line.startsWith("herald_consumer_messages_total{") && line.includes('outcome="duplicate"'))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

/** Runs `work` on every item, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/** Every event of `topic` on the private broker, read from the beginning up to its current end. */
async function readTopic(topic: string): Promise<{ type: string; orderId: string; eventId: string }[]> {
  const kafka = new Kafka({
    clientId: "chaos-reader",
    ...kafkaConfig(stack.infra),
    logLevel: logLevel.NOTHING,
  });
  const serde = createEventSerde({ registryUrl: stack.infra.schemaRegistryUrl });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((end) => Number(end.high) > 0).map((end) => [end.partition, end.high]),
  );
  const events: { type: string; orderId: string; eventId: string }[] = [];
  const consumer = kafka.consumer({ groupId: `chaos-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = await serde.decode(message.value!);
      const data = event.data as { orderId?: string | null };
      events.push({ type: event.type, orderId: data.orderId ?? "", eventId: event.data.metadata.eventId });
      if (BigInt(message.offset) + 1n >= BigInt(remaining.get(partition) ?? "0")) remaining.delete(partition);
    },
  });
  try {
    await eventually(async () => (remaining.size === 0 ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
  return events;
}

interface FaultFigure {
  readonly fault: string;
  /** When it was injected (epoch ms). */
  readonly at: number;
  /** From the fault to the component answering ready again (its `up()` resolved). */
  readonly readyMs: number;
  /** From the fault until an order placed after the restart was CONFIRMED: the system works again. */
  readonly recoveredMs: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Every service and relay killed with SIGKILL and restarted; Kafka, Postgres and the registry restarted. */
const FAULTS: readonly { name: string; component: string; how: "kill" | "restart" }[] = [
  ...SERVICE_NAMES.map((name) => ({ name: `kill -9 ${name}`, component: name, how: "kill" as const })),
  ...SERVICE_NAMES.map((name) => ({
    name: `kill -9 ${name}-relay`,
    component: `${name}-relay`,
    how: "kill" as const,
  })),
  { name: "restart Kafka", component: "kafka", how: "restart" },
  { name: "restart Postgres", component: "postgres", how: "restart" },
  { name: "restart registry", component: "schema-registry", how: "restart" },
];

type Load = ReturnType<typeof startLoad>;

/**
 * Injects every fault in turn under `load`; after each, the system must work again (a probe order
 * confirms) and no process may have died. Returns the figures and the inbox duplicates counted by
 * service processes that were killed (their counters died with them).
 */
async function injectFaults(load: Load): Promise<{ figures: FaultFigure[]; banked: number }> {
  const figures: FaultFigure[] = [];
  let banked = 0;
  for (const fault of FAULTS) {
    const component = stack.component(fault.component);
    const victim = SERVICE_NAMES.find((name) => name === fault.component);
    if (victim) banked += await duplicatesAbsorbed(victim);
    progress(`${fault.name} (${load.figures.placements.length} orders so far)`);
    const hit = Date.now();
    if (fault.how === "kill") expect(await component.kill!()).toBe(true);
    else expect(await component.down()).toBe(true);
    await component.up();
    const ready = Date.now();
    const probe = await load.probe(60_000);
    await expectAllRunning(fault.name);
    expect(probe.orderId, `the probe order after "${fault.name}" was never accepted`).toBeDefined();
    expect(await client.settled(probe.orderId!, 60_000)).toMatchObject({ status: "CONFIRMED" });
    await expectAllRunning(fault.name);
    figures.push({ fault: fault.name, at: hit, readyMs: ready - hit, recoveredMs: Date.now() - hit });
    progress(
      `${fault.name}: ready after ${seconds(ready - hit)}, orders confirm again after ${seconds(Date.now() - hit)}`,
    );
    const rest = PAUSE_BETWEEN_FAULTS_MS - (Date.now() - ready);
    if (rest > 0) await sleep(rest);
  }
  return { figures, banked };
}

type Accepted = Placement & { orderId: string };
type Outcome = { status: string; reason?: string };

/** Polls every order until it is CONFIRMED or CANCELLED, or the settle timeout passes. */
async function waitUntilTerminal(accepted: readonly Accepted[]): Promise<Map<string, Outcome>> {
  const final = new Map<string, Outcome>();
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (final.size < accepted.length && Date.now() < deadline) {
    const pending = accepted.filter((p) => !final.has(p.orderId));
    await eachLimited(pending, 8, async ({ orderId }) => {
      const order = await client.order(orderId).catch(() => undefined);
      if (order && (TERMINAL as readonly string[]).includes(order.status))
        final.set(orderId, {
          status: order.status,
          ...(order.cancellation ? { reason: order.cancellation.reason } : {}),
        });
    });
    if (final.size < accepted.length) await sleep(500);
  }
  return final;
}

/**
 * Charged at most once, seen three ways: the payments API (one payment per order that reached
 * payment, in the state its token calls for), the simulated processor's own ledger (one charge per
 * key, settled as the token says, none for an order nobody placed), and the payments topic (no
 * payment fact announced under two event ids). Returns the repeated gateway calls the ledger
 * absorbed by idempotency key, and the facts announced twice.
 */
async function checkCharges(accepted: readonly Accepted[], final: ReadonlyMap<string, Outcome>) {
  const problems: string[] = [];
  await eachLimited(accepted, 8, async ({ orderId, kind }) => {
    const payments = await client.payments(orderId);
    const expected = kind === "soldOut" ? [] : kind === "declined" ? ["FAILED"] : ["PROCESSED"];
    const got = payments.map((payment) => payment.status);
    if (JSON.stringify(got) !== JSON.stringify(expected))
      problems.push(`${orderId} (${kind}): payments ${JSON.stringify(got)}`);
    if (kind === "flaky" && (payments[0]?.attempts ?? 0) < 2)
      problems.push(`${orderId} (flaky): ${payments[0]?.attempts} attempts`);
  });
  expect.soft(problems, "payments API").toEqual([]);

  const ledger = await queryPayment<{ key: string; operation: string; result: string | null; calls: number }>(
    "SELECT idempotency_key AS key, operation, result, calls FROM gateway_simulator_ledger",
  );
  const byOrder = new Map(accepted.map((p) => [p.orderId, p]));
  const ledgerProblems = ledger.flatMap((row) => {
    const placement = byOrder.get(row.key);
    if (row.operation !== "charge") return [`unexpected ${row.operation} ${row.key}`];
    if (!placement) return [`a charge for an order nobody placed: ${row.key}`];
    const expected = placement.kind === "declined" ? "declined" : "succeeded";
    return row.result === expected ? [] : [`${row.key} (${placement.kind}): ${row.result}`];
  });
  const charged = new Set(ledger.filter((row) => row.result === "succeeded").map((row) => row.key));
  for (const p of accepted)
    if (final.get(p.orderId)?.status === "CONFIRMED" && !charged.has(p.orderId))
      ledgerProblems.push(`${p.orderId} confirmed without a charge`);
  expect.soft(ledgerProblems, "the processor's ledger").toEqual([]);
  const gatewayRepeats = ledger.reduce(
    (sum, row) => sum + row.calls - (byOrder.get(row.key)?.kind === "flaky" ? 2 : 1),
    0,
  );

  const announced = new Map<string, Set<string>>();
  for (const event of await readTopic("payments")) {
    const key = `${event.orderId} ${event.type}`;
    announced.set(key, (announced.get(key) ?? new Set()).add(event.eventId));
  }
  const announcedTwice = [...announced].filter(([, ids]) => ids.size > 1).map(([key]) => key);
  expect.soft(announcedTwice, "payment facts announced under two event ids").toEqual([]);
  return { gatewayRepeats, announcedTwice: announcedTwice.length };
}

/**
 * Mailed exactly once: MailDev holds one mail per (order, template), the template the order's
 * outcome calls for. Two copies with one Message-ID (a sender that died between the server's
 * acceptance and recording it) and two identities are told apart in the failure.
 */
async function checkMails(
  accepted: readonly Accepted[],
  final: ReadonlyMap<string, Outcome>,
  faults: readonly FaultFigure[],
) {
  const recipients = new Set(accepted.map((p) => p.email));
  const mails = await eventually(async () => {
    const ours = (await client.mails(stack.infra.mailApiUrl)).filter((mail) =>
      mail.to.some((to) => recipients.has(to.address)),
    );
    const mailed = new Set(ours.flatMap((mail) => mail.to.map((to) => to.address)));
    return mailed.size === recipients.size ? ours : undefined;
  }, 90_000);
  const mailsOf = new Map<string, ReceivedMail[]>();
  for (const mail of mails) {
    const key = `${mail.to[0]!.address} ${mail.headers["x-herald-template"]}`;
    mailsOf.set(key, [...(mailsOf.get(key) ?? []), mail]);
  }
  const expected = new Set(
    accepted.map(
      (p) =>
        `${p.email} ${final.get(p.orderId)?.status === "CONFIRMED" ? "ORDER_CONFIRMED" : "ORDER_CANCELLED"}`,
    ),
  );
  const copies = (list: readonly ReceivedMail[]) =>
    list.map((mail) => `<${mail.messageId}> at ${mail.time}`).join(", ");
  const identities = (list: readonly ReceivedMail[]) => new Set(list.map((mail) => mail.messageId)).size;
  const wrong = [...mailsOf]
    .filter(([key, list]) => !expected.has(key) || identities(list) > 1)
    .map(([key, list]) => `${key}: ${copies(list)}`);
  expect.soft(wrong, "mails for the wrong outcome, or one mail under two identities").toEqual([]);
  // Which fault the first copy went out during: a sender killed mid-send, or one that stayed alive?
  const faultOf = (list: readonly ReceivedMail[]) => {
    const first = Math.min(...list.map((mail) => Date.parse(mail.time ?? "")));
    return { first, fault: faults.findLast((f) => f.at <= first + 1_000) };
  };
  const during = (list: readonly ReceivedMail[]) => {
    const { first, fault } = faultOf(list);
    return fault ? `, first copy ${seconds(first - fault.at)} after "${fault.fault}"` : "";
  };
  // SMTP has no two-phase commit: a sender killed after the server took a mail and before it
  // recorded that sends it again after its lease, under the same Message-ID (the README's one
  // possible duplicate, which a receiver can drop). Only that case is allowed, and counted.
  const killedMidSend = (list: readonly ReceivedMail[]) => {
    const { first, fault } = faultOf(list);
    return fault?.fault === "kill -9 email" && first <= fault.at + 1_000;
  };
  const twice = [...mailsOf].filter(([, list]) => list.length > 1 && identities(list) === 1);
  const resent = twice
    .filter(([, list]) => !killedMidSend(list))
    .map(([key, list]) => `${key}: ${copies(list)}${during(list)}`);
  expect
    .soft(resent, "mails delivered twice (the same Message-ID again) by a sender that stayed alive")
    .toEqual([]);
  return { resent: resent.length, resentAfterKill: twice.length - resent.length, wrong: wrong.length };
}

/** The stock adds up: what confirmed orders bought is gone from the shelf, nothing is left reserved. */
async function checkStock(
  before: ReadonlyMap<string, StockLevel>,
  accepted: readonly Accepted[],
  final: ReadonlyMap<string, Outcome>,
): Promise<void> {
  const sold = new Map<string, number>(SKUS.map((sku) => [sku, 0]));
  for (const p of accepted)
    if (final.get(p.orderId)?.status === "CONFIRMED")
      for (const item of KINDS[p.kind].items) sold.set(item.sku, sold.get(item.sku)! + item.quantity);
  const expected = SKUS.map((sku) => ({
    sku,
    onHand: before.get(sku)!.onHand - sold.get(sku)!,
    reserved: before.get(sku)!.reserved,
  }));
  const levels = () =>
    Promise.all(
      SKUS.map(async (sku) => {
        const { onHand, reserved } = await client.stock(sku);
        return { sku, onHand, reserved };
      }),
    );
  // The last OrderConfirmed may still be on its way to inventory: wait for it, then compare.
  const stock = await eventually(async () => {
    const now = await levels();
    return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
  }, 30_000).catch(levels);
  expect.soft(stock, "stock per SKU").toEqual(expected);
}

describe("faults under a steady stream of orders, on a private stack", () => {
  it("ends every order in the right state, charged at most once, mailed once, with the stock adding up", {
    // Thirteen faults, each with its own 60 s recovery bound; the whole run took 335 s before the
    // broker authenticated and up to 650 s after on two loaded cores (see the cost issue's note).
    timeout: 900_000,
  }, async () => {
    onTestFailed(() => {
      passed = false;
    });
    await client.restock([MUG, TEE, STICKERS]);
    expect((await client.setOnHand(POSTER, 0)).status).toBe(200);
    const before = new Map(
      await Promise.all(SKUS.map(async (sku) => [sku, await client.stock(sku)] as const)),
    );

    const load = startLoad(ORDERS_PER_SECOND);
    const loadStarted = Date.now();
    await sleep(PAUSE_BETWEEN_FAULTS_MS);
    const { figures, banked } = await injectFaults(load);
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
    const final = await waitUntilTerminal(accepted);
    const ordersTerminal = Date.now();
    progress(`${final.size} of ${accepted.length} orders terminal`);
    const wrong = accepted.flatMap((p) => {
      const got = final.get(p.orderId);
      return JSON.stringify(got) === JSON.stringify(KINDS[p.kind].expected)
        ? []
        : [`${p.orderId} (${p.kind}): ${JSON.stringify(got ?? "not terminal")}`];
    });
    expect(wrong, "orders not in the state their token calls for").toEqual([]);

    const charges = await checkCharges(accepted, final);
    const mails = await checkMails(accepted, final, figures);
    const mailsSettled = Date.now();
    await checkStock(before, accepted, final);

    let duplicates = banked;
    for (const service of SERVICE_NAMES) duplicates += await duplicatesAbsorbed(service);
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

/** A query on the private stack's payment database. */
async function queryPayment<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const db = new pg.Client({ connectionString: stack.infra.databaseUrls.payment });
  await db.connect();
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.end();
  }
}
