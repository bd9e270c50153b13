import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  createScratchSchema,
  freePort,
  kafkaConfig,
  type ScratchSchema,
  serviceEnvironment,
  testInfra,
  uniqueName,
} from "@herald/dev-stack/testing";
import { type RunningService, startService } from "@herald/service-kit";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyticsConfig } from "./config.js";
import { analyticsService } from "./service.js";
import { logger } from "./testing/harness.js";

const run = promisify(execFile);
const serviceDir = fileURLToPath(new URL("..", import.meta.url));

// The declared service on the real topics (read only: its relay is external, so nothing it
// enqueues leaves its scratch schema) with a consumer group of its own.
describe("the declared service and its rebuild command", () => {
  let scratch: ScratchSchema;
  let service: RunningService<AnalyticsConfig>;
  let env: NodeJS.ProcessEnv;
  // Its own name, so its own consumer group (`<name>-service`) and dead-letter topic.
  const name = uniqueName("analytics_service_test");
  const groupId = `${name}-service`;

  beforeAll(async () => {
    scratch = await createScratchSchema(testInfra().databaseUrls.analytics, "analytics_service");
    env = serviceEnvironment(scratch.url, {
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      RELAY_MODE: "external",
      ANALYTICS_PERIOD_MS: "1000",
      ANALYTICS_PERIOD_GRACE_MS: "0",
    });
    service = await startService(
      { ...analyticsService, manifest: { ...analyticsService.manifest, name } },
      { env, logger },
    );
  });

  afterAll(async () => {
    await service?.stop();
    const admin = new Kafka(kafkaConfig(testInfra(), { logLevel: logLevel.NOTHING })).admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.deleteTopics({ topics: [`${groupId}.dlq`] }).catch(() => {});
    await admin.disconnect();
    await scratch?.drop();
  });

  it("starts ready, serves the dashboard and its API document, and summarizes every period through its outbox", async () => {
    await service.consumerJoined;
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    const docs = (await (await fetch(`${service.url}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        "/analytics/summary",
        "/analytics/timeseries",
        "/analytics/skus",
        "/analytics/orders/{id}/timeline",
        "/analytics/stream",
        "/analytics/rebuild",
      ]),
    );
    await expect
      .poll(
        async () =>
          (
            await service.context.pool.query(
              "SELECT count(*)::int AS n FROM outbox WHERE event_type = 'SalesPeriodSummarized'",
            )
          ).rows[0].n,
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1);
  });

  it("rebuilds from the command line into a new live generation while the service runs", async () => {
    const operator = { headers: { authorization: `Bearer ${await testTokens.staff("operator")}` } };
    const before = (await (await fetch(`${service.url}/analytics/summary`, operator)).json()) as {
      generation: number;
    };
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "--conditions=herald-source", "src/rebuild.ts"],
      { cwd: serviceDir, env: { ...process.env, ...env, LOG_LEVEL: "info" }, timeout: 60_000 },
    );
    expect(stdout).toContain("rebuild finished");
    const after = (await (await fetch(`${service.url}/analytics/summary`, operator)).json()) as {
      generation: number;
    };
    expect(after.generation).toBe(before.generation + 1);
  });
});
