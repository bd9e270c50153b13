import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, browserAvailable, openBrowser } from "@herald/dev-stack/browser";
import { testTokens } from "@herald/service-kit/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnalyticsHarness, createAnalyticsHarness } from "../testing/harness.js";
import { eur, line, type Outcome, type ScenarioOrder, sagaOf, usd } from "../testing/scenario.js";

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
const haveBrowser = browserAvailable("the dashboard's browser test");

/** What the tests read of the page's window (this project compiles without the DOM's types). */
type BrowserWindow = { sessionStorage: Record<string, string> };

const CATALOG = [
  line("HRL-MUG-BLUE", 2, eur(1290)),
  line("HRL-TEE-BLACK-M", 1, eur(2490)),
  line("HRL-HOODIE-GREY-L", 1, eur(5490)),
  line("HRL-POSTER-A2", 1, eur(1900)),
  line("HRL-NOTEBOOK-A5", 3, eur(990)),
  line("HRL-STICKER-PACK", 4, eur(450)),
];
const OUTCOMES: Outcome[] = [
  "confirmed",
  "confirmed",
  "out_of_stock",
  "confirmed",
  "payment_failed",
  "confirmed",
];

/** Half an hour of trade: most orders confirm, some run out of stock or fail payment, one gets cancelled. */
function history(now: number): ScenarioOrder[] {
  const orders: ScenarioOrder[] = [];
  for (let i = 0; i < 36; i++) {
    const outcome = i === 30 ? "cancelled_after_confirm" : OUTCOMES[(i * 7) % OUTCOMES.length]!;
    const lines = [
      CATALOG[(i * 5) % CATALOG.length]!,
      ...(i % 3 === 0 ? [CATALOG[(i + 1) % CATALOG.length]!] : []),
    ];
    const usdOrder = i % 9 === 4;
    orders.push(
      sagaOf({
        outcome,
        lines: usdOrder ? [line("HRL-MUG-BLUE", 1, usd(1500))] : lines,
        placedAt: now - 30 * 60_000 + i * 47_000 + ((i * 7919) % 20_000),
        step: 90 + ((i * 31) % 400),
      }),
    );
  }
  return orders;
}

describe.skipIf(!haveBrowser)("the dashboard in a browser", () => {
  let h: AnalyticsHarness;
  let browser: Browser;
  let page: Page;
  let url: string;
  let pageErrors: string[];
  /** Requests to the data routes: whether each carried a bearer token, and its URL. */
  const dataRequests: { url: string; bearer: boolean }[] = [];

  beforeAll(async () => {
    h = await createAnalyticsHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    const address = h.app.server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;

    browser = await openBrowser({ width: 1440, height: 900 });
    ({ page, errors: pageErrors } = browser);
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/analytics/"))
        dataRequests.push({
          url: request.url(),
          bearer: /^Bearer \S+$/.test(request.headers().authorization ?? ""),
        });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("asks for an operator's token, and asks again with the reason when the token is refused", async () => {
    await page.goto(url);
    await page.getByTestId("operator-token").waitFor();
    expect(dataRequests).toEqual([]);

    await page.getByTestId("operator-token").fill(await testTokens.customer("cust-42"));
    await page.getByTestId("sign-in").click();
    await expect
      .poll(() => page.getByTestId("login-reason").textContent())
      .toBe("Not allowed: this route needs the operator role.");
    expect(await page.getByTestId("operator-token").isVisible()).toBe(true);
    expect(
      await page.evaluate(() => Object.keys((globalThis as unknown as BrowserWindow).sessionStorage).length),
    ).toBe(0);
    // The refusals this test caused, and nothing else.
    expect(pageErrors.length).toBeGreaterThan(0);
    expect(pageErrors.every((error) => /^(403 |Failed to load resource.*403)/.test(error))).toBe(true);
    pageErrors.length = 0;
  });

  it("loads empty, fills in live as events arrive, without a reload, and draws one order's saga", async () => {
    const operator = h.operatorToken;
    await page.goto(url);
    await page.getByTestId("operator-token").fill(operator);
    await page.getByTestId("sign-in").click();
    await page.locator("#live-dot.live").waitFor();
    expect(await page.getByTestId("operator-token").isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId("kpi-placed").textContent()).toBe("0");
    expect(await page.getByTestId("kpi-revenue").textContent()).toBe("–");
    await page.evaluate(() => {
      (globalThis as unknown as { herald: string }).herald = "same page";
    });

    const past = history(Date.now());
    await h.produce(past.flatMap((order) => order.events));
    await expect.poll(() => page.getByTestId("kpi-placed").textContent(), { timeout: 15_000 }).toBe("36");
    await expect.poll(() => page.getByTestId("kpi-revenue").textContent()).not.toBe("–");
    await page.locator("#chart-orders .uplot").waitFor();

    const fresh = [
      sagaOf({ outcome: "confirmed", lines: [CATALOG[0]!, CATALOG[2]!], placedAt: Date.now(), step: 120 }),
      sagaOf({ outcome: "out_of_stock", lines: [CATALOG[3]!], placedAt: Date.now() + 50, step: 80 }),
    ];
    await h.produce(fresh.flatMap((order) => order.events));
    await expect.poll(() => page.getByTestId("kpi-placed").textContent(), { timeout: 15_000 }).toBe("38");
    await expect.poll(() => page.locator("#recent button").count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => (globalThis as unknown as { herald?: string }).herald)).toBe(
      "same page",
    );

    const order = fresh[0]!;
    await page.locator(`#recent button[data-order-id="${order.orderId}"]`).click();
    const nodes = page.locator("#timeline svg g.node");
    await expect.poll(() => nodes.count(), { timeout: 10_000 }).toBe(order.events.length);
    const producers = await nodes.evaluateAll((all) => all.map((node) => node.getAttribute("data-producer")));
    expect(new Set(producers)).toEqual(new Set(["order", "inventory", "payment", "email"]));
    expect(await nodes.evaluateAll((all) => all.map((node) => node.getAttribute("data-type")))).toEqual(
      order.events.map((event) => event.type),
    );

    // The token went only into Authorization headers: every data request carried it, no URL did.
    expect(dataRequests.length).toBeGreaterThan(0);
    expect(dataRequests.filter((request) => !request.bearer)).toEqual([]);
    expect(dataRequests.filter((request) => request.url.includes(operator))).toEqual([]);
    expect(page.url()).toBe(url);
    expect(
      await page.evaluate(() => Object.keys((globalThis as unknown as BrowserWindow).sessionStorage)),
    ).toEqual(["herald.analytics.operatorToken"]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true, animations: "disabled" });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-viewport.png"), animations: "disabled" });
    expect(pageErrors).toEqual([]);
  });
});
