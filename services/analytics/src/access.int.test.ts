import { testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnalyticsHarness, createAnalyticsHarness, urlOf } from "./testing/harness.js";

const DATA_ROUTES = [
  "/analytics/summary",
  "/analytics/timeseries",
  "/analytics/skus",
  "/analytics/orders",
  "/analytics/orders/ord-1/timeline",
  "/analytics/rebuild",
] as const;

const DASHBOARD_FILES = [
  "/",
  "/dashboard/dashboard.js",
  "/dashboard/auth.js",
  "/dashboard/bars.js",
  "/dashboard/charts.js",
  "/dashboard/details.js",
  "/dashboard/dom.js",
  "/dashboard/format.js",
  "/dashboard/stream.js",
  "/dashboard/summary.js",
  "/dashboard/timeline.js",
  "/dashboard/dashboard.css",
  "/dashboard/panels.css",
  "/dashboard/favicon.svg",
  "/vendor/uplot/uPlot.iife.min.js",
  "/vendor/uplot/uPlot.min.css",
] as const;

describe("who may read analytics", () => {
  let h: AnalyticsHarness;
  let customer: string;
  let support: string;

  beforeAll(async () => {
    h = await createAnalyticsHarness({ startConsumer: false });
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    customer = await testTokens.customer("cust-42");
    support = await testTokens.staff("support");
  });
  afterAll(() => h?.close());

  const as = (token: string | null, url: string, method: "GET" | "POST" = "GET") =>
    h.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("answers every data route and the rebuilds only to an operator: 401 without a token, 403 to customers and support", async () => {
    for (const [url, method] of [
      ...DATA_ROUTES.map((url) => [url, "GET"] as const),
      ["/analytics/rebuild", "POST"] as const,
    ]) {
      const anonymous = await as(null, url, method);
      expect(anonymous.statusCode, `${method} ${url} without a token`).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer/);
      for (const token of [customer, support]) {
        const refused = await as(token, url, method);
        expect(refused.statusCode, `${method} ${url} as ${token === customer ? "customer" : "support"}`).toBe(
          403,
        );
        expect(refused.json()).toMatchObject({ code: "AUTH_FORBIDDEN" });
      }
    }
    for (const url of DATA_ROUTES) {
      const answer = await h.operator(url);
      expect([200, 404], `GET ${url} as an operator`).toContain(answer.statusCode);
      expect(answer.json().code ?? "").not.toMatch(/^AUTH_/);
    }
  });

  it("streams only to an operator", async () => {
    const stream = `${urlOf(h.app)}/analytics/stream`;
    const open = async (token: string | null) => {
      const controller = new AbortController();
      const response = await fetch(stream, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: controller.signal,
      });
      const status = response.status;
      controller.abort();
      return status;
    };
    expect(await open(null)).toBe(401);
    expect(await open(customer)).toBe(403);
    expect(await open(support)).toBe(403);
    expect(await open(h.operatorToken)).toBe(200);
  });

  it("serves the dashboard's files to anyone: the page asks for the token itself", async () => {
    for (const url of DASHBOARD_FILES) expect((await as(null, url)).statusCode, url).toBe(200);
  });

  it("documents the operator role on every data route", async () => {
    const document = (await h.app.inject("/docs/json")).json() as {
      paths: Record<string, Record<string, { security?: unknown; description?: string }>>;
    };
    for (const path of ["/analytics/summary", "/analytics/stream", "/analytics/rebuild"])
      for (const operation of Object.values(document.paths[path]!)) {
        expect(operation.security).toEqual([{ bearer: [] }]);
        expect(operation.description).toContain("`operator` role");
      }
  });
});
