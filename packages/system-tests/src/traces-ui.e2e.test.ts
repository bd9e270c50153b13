import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, browserAvailable, openBrowser } from "@herald/dev-stack/browser";
import { startSystem, testInfra, waitFor } from "@herald/dev-stack/testing";
import { ORDER_ADDRESS } from "@herald/events/testing";
import { testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, orderRequest } from "./client.js";
import {
  ancestry,
  arrived,
  has,
  named,
  PATH_TO_MAIL,
  SAGA_PROCESSES,
  serviceOf,
  traceOnce,
} from "./trace-zipkin.js";

/**
 * The README's walkthrough order, traced, in Zipkin's own UI: the order is placed exactly as the
 * walkthrough's curl places it (no traceparent of the caller's), its trace is found the way an
 * operator finds it (the analytics timeline's trace link), and the trace page is opened in a real
 * browser. The screenshot always goes to test-artifacts/order-trace.png (with the trace's spans as
 * Zipkin's API gave them in order-trace.json); with HERALD_WRITE_DOCS=1 it also replaces the README's
 * docs/order-trace.png.
 */

const ARTIFACTS = new URL("../test-artifacts/", import.meta.url).pathname;
const DOCS_SCREENSHOT = new URL("../../../docs/order-trace.png", import.meta.url).pathname;
const haveBrowser = browserAvailable("the trace UI's browser test");

/** The walkthrough's request body (README, "Walkthrough"). */
const WALKTHROUGH_ORDER = {
  items: [
    { sku: "HRL-MUG-BLUE", quantity: 2 },
    { sku: "HRL-TEE-BLACK-M", quantity: 1 },
  ],
  paymentMethodToken: "tok_visa",
  shippingAddress: ORDER_ADDRESS,
};

/** The facts of the walkthrough's confirmed order, as the analytics timeline lists them. */
const FACTS = ["OrderPlaced", "InventoryReserved", "PaymentProcessed", "OrderConfirmed", "EmailSent"];

describe.skipIf(!haveBrowser)("the walkthrough's order in Zipkin's UI", () => {
  const infra = testInfra();
  let client: Client;
  let orderUrl: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const system = await startSystem(infra);
    client = await createClient(system);
    await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M"]);
    orderUrl = `${system.url("order")}/orders`;
    // A first order through freshly started processes pays their warm-up (connections, schema
    // lookups); the screenshot shows an order of a running system, as the walkthrough's would be.
    const warmUp = await client.place(orderRequest());
    expect((await client.settled(warmUp.body.orderId)).status).toBe("CONFIRMED");
    browser = await openBrowser({ width: 1600, height: 1100 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the order's one trace across every service and relay, and saves its screenshot", async () => {
    // `npm run -s token -- cust-42 --email ada@example.com`, then the walkthrough's curl (a fresh
    // Idempotency-Key per run: a repeated key answers with the first run's order).
    const token = await testTokens.customer("cust-42", "ada@example.com");
    const response = await fetch(orderUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": `walkthrough-${randomUUID()}`,
      },
      body: JSON.stringify(WALKTHROUGH_ORDER),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(202);
    const { orderId } = (await response.json()) as { orderId: string };

    // The operator's way to the trace: the order's timeline links every fact to it.
    const facts = await waitFor(`order ${orderId}'s timeline up to its mail`, async () => {
      const { status, body } = await client.timeline(orderId);
      return status === 200 && FACTS.every((type) => body.facts.some((fact) => fact.type === type))
        ? body.facts
        : undefined;
    });
    const traceIds = new Set(facts.map((fact) => fact.traceId));
    expect(traceIds.size).toBe(1);
    const traceId = facts[0]!.traceId!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const traceUrl = facts[0]!.traceUrl!;
    expect(traceUrl).toBe(`http://localhost:9411/zipkin/traces/${traceId}`);

    // The whole trace in Zipkin: every process, the path to the mail, an analytics span per fact.
    const spans = await traceOnce(
      traceId,
      (found) =>
        arrived(found, SAGA_PROCESSES) &&
        has(found, "email", "email send") &&
        FACTS.every((type) =>
          found.some(
            (span) =>
              serviceOf(span) === "analytics" &&
              span.kind === "CONSUMER" &&
              span.tags?.["herald.event.type"] === type,
          ),
        ),
    );
    expect(new Set(spans.map(serviceOf))).toEqual(new Set(SAGA_PROCESSES));
    const [sent] = named(spans, "email", "email send");
    expect(ancestry(spans, sent!)).toEqual(PATH_TO_MAIL);
    const root = spans.filter((span) => span.parentId === undefined);
    expect(root.map((span) => `${serviceOf(span)}: ${span.name}`)).toEqual(["order: post /orders"]);

    // The trace page of Zipkin's UI, through the timeline's link.
    const page = browser!.page;
    await page.goto(traceUrl);
    const body = page.locator("body");
    await waitFor(
      "the trace page to list the trace's spans",
      async () => ((await body.innerText()).toLowerCase().includes("email send") ? true : undefined),
      30_000,
      200,
    );
    const text = (await body.innerText()).toLowerCase();
    // Every span the API returned is a row of the page, as `service: name`: the five services' and
    // the four relays'.
    for (const span of spans) expect(text).toContain(`${serviceOf(span)}: ${span.name}`);
    // The header sums the trace up: its id, nine services, every span the API had (and any since).
    expect(text).toContain(`trace id\n${traceId}`);
    expect(text).toContain(`services\n${SAGA_PROCESSES.length}`);
    expect(Number(/total spans\n(\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(spans.length);

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, "order-trace.png");
    await page.screenshot({ path: screenshot, animations: "disabled" });
    // The spans behind the picture (their tags: the outbox waits, the events), to read it by.
    writeFileSync(join(ARTIFACTS, "order-trace.json"), `${JSON.stringify(spans, null, 2)}\n`);
    if (process.env.HERALD_WRITE_DOCS === "1") copyFileSync(screenshot, DOCS_SCREENSHOT);
    expect(browser!.errors).toEqual([]);
  });
});
