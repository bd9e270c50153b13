import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverServices, kafkaGrants, provisionedTopics } from "@herald/dev-stack";
import {
  createScratchSchema,
  freePort,
  kafkaConfig,
  type ScratchSchema,
  serviceEnvironment,
  testInfra,
  waitFor,
} from "@herald/dev-stack/testing";
import { createEventSerde } from "@herald/events";
import { sampleEvent } from "@herald/events/testing";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The README's "Add a service" steps, taken in a workspace of the test's own: a folder under
 * services/ with a package.json that declares the service and three small modules (the loyalty
 * service in ./new-service/loyalty). Nothing else in the workspace names it, yet the stack finds it,
 * derives its Kafka access, and it runs: it joins its own group, reads `orders` and answers.
 */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = fileURLToPath(new URL("./new-service/loyalty", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx");

/** A workspace holding only the new service, resolving packages from this repository's node_modules. */
function workspaceWith(folder: string): string {
  const root = mkdtempSync(join(tmpdir(), "herald-new-service-"));
  cpSync(fixture, join(root, "services", folder), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  return root;
}

function run(main: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=herald-source", main], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

describe("a sixth service: a folder under services/ and nothing else", () => {
  let root: string;
  let scratch: ScratchSchema;
  let service: ReturnType<typeof run> | undefined;
  let port: number;
  const customerId = `cust-loyal-${Date.now()}`;

  beforeAll(async () => {
    root = workspaceWith("loyalty");
    port = await freePort();
    scratch = await createScratchSchema(testInfra().databaseUrls.order, "loyalty");
  });

  afterAll(async () => {
    if (service?.child.exitCode === null) {
      service.child.kill("SIGTERM");
      await new Promise((resolve) => service!.child.once("exit", resolve));
    }
    const admin = new Kafka(kafkaConfig(testInfra(), { logLevel: logLevel.NOTHING })).admin();
    await admin.connect();
    await admin.deleteGroups(["loyalty-service"]).catch(() => {});
    await admin.deleteTopics({ topics: ["loyalty-service.dlq"] }).catch(() => {});
    await admin.disconnect();
    await scratch?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it("is found by the stack, which derives its group, dead-letter topic and ACLs from its package.json", () => {
    const [loyalty] = discoverServices(root);
    expect(loyalty).toMatchObject({ service: "loyalty", port: 3006, reads: ["orders"], writes: [] });
    expect(provisionedTopics([loyalty!])).toEqual(["loyalty-service.dlq"]);
    expect(kafkaGrants([loyalty!]).map((g) => `${g.resource}:${g.name}:${g.operations.join("+")}`)).toEqual([
      "topic:loyalty-service.dlq:write+describe",
      "topic:orders:read",
      "group:loyalty-service:read",
    ]);
  });

  it("runs: joins its own group, counts the orders placed, and answers the customer", async () => {
    service = run(join(root, "services", "loyalty", "src", "main.ts"), {
      ...serviceEnvironment(scratch.url, { PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info" }),
    });
    const url = `http://127.0.0.1:${port}`;
    type Readiness = { status: string; checks: Record<string, { status: string }> };
    const ready = await waitFor("the service ready, its consumer in its group", async () => {
      const body = (await (await fetch(`${url}/health/ready`)).json()) as Readiness;
      return body.status === "ready" && body.checks.consumer?.status === "up" && body;
    }).catch((error: unknown) => {
      throw new Error(`${error}\n${service!.output()}`);
    });
    expect(ready.checks.consumer).toEqual({ status: "up", informational: true });
    expect(service.output()).toMatch(/"groupId":"loyalty-service".*consumer joined its group/);

    const serde = createEventSerde({ registryUrl: testInfra().schemaRegistryUrl });
    const producer = new Kafka(kafkaConfig(testInfra(), { logLevel: logLevel.NOTHING })).producer();
    await producer.connect();
    try {
      for (let i = 0; i < 2; i++) {
        const placed = sampleEvent("OrderPlaced", { orderId: crypto.randomUUID(), customerId });
        await producer.send({
          topic: "orders",
          messages: [{ key: placed.data.orderId, value: await serde.encode(placed) }],
        });
      }
    } finally {
      await producer.disconnect();
    }

    const token = await testTokens.customer(customerId);
    const counted = await waitFor("both orders counted", async () => {
      const response = await fetch(`${url}/loyalty/${customerId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { orders: number };
      return body.orders === 2 && body;
    });
    expect(counted).toEqual({
      customerId,
      orders: 2,
    });
    const stranger = await testTokens.customer("cust-someone-else");
    const refused = await fetch(`${url}/loyalty/${customerId}`, {
      headers: { authorization: `Bearer ${stranger}` },
    });
    expect(refused.status).toBe(403);
  });

  it("refuses to start with a package.json that does not declare it properly, naming the problem", async () => {
    const broken = workspaceWith("broken");
    try {
      const manifest = join(broken, "services", "broken", "package.json");
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      pkg.herald.reads = ["orders", "refunds"];
      writeFileSync(manifest, JSON.stringify(pkg));
      const { child, output } = run(join(broken, "services", "broken", "src", "main.ts"), {
        ...serviceEnvironment(scratch.url, { PORT: "0" }),
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).not.toBe(0);
      expect(output()).toContain('herald.reads names "refunds", which is not a topic');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
