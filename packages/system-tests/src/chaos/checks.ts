import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { kafkaConfig, type Stack } from "@herald/dev-stack";
import { createEventSerde } from "@herald/events";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { expect } from "vitest";
import { eventually, type ReceivedMail, type StockLevel, TERMINAL } from "../client.js";
import type { FaultFigure } from "./faults.js";
import { type Accepted, KINDS, SKUS } from "./load.js";
import { seconds } from "./progress.js";
import type { ChaosSystem } from "./system.js";

/**
 * What the chaos test checks once the load stopped: every order terminal, charged at most once,
 * mailed exactly once, and the stock adding up. Each check reports every problem it finds (soft
 * expectations) and returns the figures it counted.
 */

const SETTLE_TIMEOUT_MS = 120_000;

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
async function readTopic(
  stack: Stack,
  topic: string,
): Promise<{ type: string; orderId: string; eventId: string }[]> {
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

export type Outcome = { status: string; reason?: string };

/** Polls every order until it is CONFIRMED or CANCELLED, or the settle timeout passes. */
export async function waitUntilTerminal(
  { client }: ChaosSystem,
  accepted: readonly Accepted[],
): Promise<Map<string, Outcome>> {
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
export async function checkCharges(
  { stack, client }: ChaosSystem,
  accepted: readonly Accepted[],
  final: ReadonlyMap<string, Outcome>,
) {
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
    stack,
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
  for (const event of await readTopic(stack, "payments")) {
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
/** The email sender's lease with the default SMTP timeout (4 × 15 s): how long it may take to record a send. */
const EMAIL_LEASE_MS = 60_000;

export async function checkMails(
  { stack, client }: ChaosSystem,
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
  // The sender records an accepted mail in a transaction it retries for as long as its lease lasts,
  // so a kill up to a lease after the server took the first copy can leave it unrecorded: allowed
  // when that kill fell between the two copies (MailDev's times are whole seconds, hence the second
  // of slack). A copy sent twice with no kill of the sender in between is the defect this catches.
  const killedMidSend = (list: readonly ReceivedMail[]) => {
    const [first, second] = list.map((mail) => Date.parse(mail.time ?? "")).sort((a, b) => a - b);
    return faults.some(
      (f) =>
        f.fault === "kill -9 email" &&
        f.at >= first! - 1_000 &&
        f.at <= first! + EMAIL_LEASE_MS &&
        second! >= f.at - 1_000,
    );
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
export async function checkStock(
  { client }: ChaosSystem,
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

/** A query on the private stack's payment database. */
async function queryPayment<T extends pg.QueryResultRow>(stack: Stack, sql: string): Promise<T[]> {
  const db = new pg.Client({ connectionString: stack.infra.databaseUrls.payment });
  await db.connect();
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.end();
  }
}
