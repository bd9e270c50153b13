import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { kafkaLogin } from "@herald/dev-stack";
import { kafkaConfig, type System, startSystem, testInfra } from "@herald/dev-stack/testing";
import { testTokens } from "@herald/service-kit/testing";
import { Kafka, logLevel } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient, orderRequest } from "./client.js";

// What a stranger, a customer and a compromised service can do to the running system, asked from
// outside as they would ask it: HTTP against every service's process, and a Kafka client.

const infra = testInfra();
let system: System;
let client: Client;
let order: { orderId: string; customerId: string; customerEmail: string };

beforeAll(async () => {
  system = await startSystem(infra);
  client = await createClient(system);
  await client.restock(["HRL-MUG-BLUE", "HRL-TEE-BLACK-M"]);
  const request = orderRequest();
  const placed = await client.place(request);
  expect(placed.status).toBe(202);
  order = { orderId: placed.body.orderId, ...request };
  // Settled, so every service has written what it keeps about the order.
  await client.settled(order.orderId);
});

async function call(
  service: Parameters<System["url"]>[0],
  path: string,
  token: string | null,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await fetch(`${system.url(service)}${path}`, {
    ...init,
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text() };
}

/** Every route that reads or changes an order or what the services keep about it. */
const orderRoutes = (orderId: string) =>
  [
    ["order", `/orders/${orderId}`, "GET"],
    ["order", `/orders/${orderId}?asOf=${encodeURIComponent(new Date().toISOString())}`, "GET"],
    ["order", `/orders/${orderId}/history`, "GET"],
    ["order", `/orders/${orderId}/cancel`, "POST"],
    ["payment", `/payments?orderId=${orderId}`, "GET"],
    ["email", `/emails?orderId=${orderId}`, "GET"],
    ["inventory", `/reservations?orderId=${orderId}`, "GET"],
    ["analytics", `/analytics/orders/${orderId}/timeline`, "GET"],
    ["analytics", "/analytics/orders", "GET"],
    ["analytics", "/analytics/summary", "GET"],
  ] as const;

describe("the HTTP APIs, from outside", () => {
  it("answer 401 to every route that reads or changes an order without a token", async () => {
    for (const [service, path, method] of orderRoutes(order.orderId)) {
      const { status } = await call(service, path, null, { method });
      expect(status, `${method} ${service} ${path}`).toBe(401);
    }
    const anonymous = await call("order", "/orders", null, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(orderRequest()),
    });
    expect(anonymous.status).toBe(401);
  });

  it("answer 403 to another customer's token, and the order stays as it was", async () => {
    const stranger = await testTokens.customer(`cust-${randomUUID().slice(0, 8)}`);
    const before = await client.order(order.orderId);
    for (const [service, path, method] of orderRoutes(order.orderId)) {
      const { status } = await call(service, path, stranger, { method });
      expect(status, `${method} ${service} ${path}`).toBe(403);
    }
    expect(await client.order(order.orderId)).toEqual(before);
  });

  it("let an operator read analytics", async () => {
    const operator = await testTokens.staff("operator");
    expect((await call("analytics", "/analytics/summary", operator)).status).toBe(200);
    const timeline = await call("analytics", `/analytics/orders/${order.orderId}/timeline`, operator);
    expect(timeline.status).toBe(200);
  });

  it("never answer with the payment token, whoever asks", async () => {
    const owner = await testTokens.customer(order.customerId, order.customerEmail);
    const operator = await testTokens.staff("operator");
    for (const [service, path, method] of orderRoutes(order.orderId)) {
      if (method !== "GET") continue;
      for (const token of [owner, operator]) {
        const { status, text } = await call(service, path, token);
        if (status === 200) expect(text, `${service} ${path}`).not.toMatch(/tok_/);
      }
    }
  });

  it("refuse a correction computed from a stale read with 412", async () => {
    const operator = await testTokens.staff("operator");
    const sku = "HRL-MUG-BLUE";
    const read = await call("inventory", `/stock/${sku}`, null);
    expect(read.status).toBe(200);
    const { version, onHand } = JSON.parse(read.text) as { version: number; onHand: number };
    // A delivery lands between the operator's read and their write.
    expect((await client.adjustStock(sku, 1)).status).toBe(200);
    const stale = await call("inventory", `/stock/${sku}`, operator, {
      method: "PUT",
      headers: { "content-type": "application/json", "if-match": `"${version}"` },
      body: JSON.stringify({ onHand }),
    });
    expect(stale.status).toBe(412);
  });

  it("hold one client to its share of the summary stream: 150 connections, the rest refused", async () => {
    const operator = await testTokens.staff("operator");
    const abort = new AbortController();
    try {
      const responses = await Promise.all(
        Array.from({ length: 150 }, () =>
          fetch(`${system.url("analytics")}/analytics/stream`, {
            headers: { authorization: `Bearer ${operator}`, accept: "text/event-stream" },
            signal: abort.signal,
          }),
        ),
      );
      const accepted = responses.filter((response) => response.status === 200);
      const refused = responses.filter((response) => response.status !== 200);
      // The stack runs analytics with its defaults: five streams per token subject and address.
      expect(accepted).toHaveLength(5);
      expect(new Set(refused.map((response) => response.status))).toEqual(new Set([429]));
      for (const response of refused)
        expect(await response.json()).toMatchObject({ code: "ANALYTICS_STREAM_LIMIT" });
      // The streams it took are live: each starts with the current summary.
      for (const response of accepted) {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        let text = "";
        while (!/^data: \{.*\n\n/ms.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        expect(text).toMatch(/^event: summary\n/m);
      }
    } finally {
      abort.abort();
    }
  });
});

describe("the broker, from outside", () => {
  const topics = (admin: ReturnType<Kafka["admin"]>) => admin.listTopics();

  it("refuses a client that does not log in", async () => {
    const anonymous = new Kafka({
      ...kafkaConfig(infra, { clientId: "security-anonymous", login: null }),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 3_000,
    }).admin();
    await expect(anonymous.connect().then(() => topics(anonymous))).rejects.toThrow();
    await anonymous.disconnect();
  });

  it("lets a service write only its own topic", async () => {
    const producer = new Kafka({
      ...kafkaConfig(infra, { clientId: "security-inventory", login: kafkaLogin("inventory") }),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    await producer.connect();
    try {
      const forged = producer.send({
        topic: "payments",
        messages: [{ key: order.orderId, value: "a forged PaymentProcessed" }],
      });
      await expect(forged).rejects.toMatchObject({ type: "TOPIC_AUTHORIZATION_FAILED" });
    } finally {
      await producer.disconnect();
    }
  });
});

describe("production mode", () => {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve("tsx");

  it("refuses to start a service with the development keys and logins, naming each in one line", async () => {
    const main = fileURLToPath(new URL("../../../services/order/src/main.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", tsx, "--conditions=herald-source", main], {
      env: {
        PATH: process.env.PATH,
        HERALD_ENV: "production",
        DATABASE_URL: infra.databaseUrls.order,
        KAFKA_BROKERS: infra.kafkaBrokers.join(","),
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_USERNAME: kafkaLogin("order").username,
        KAFKA_PASSWORD: kafkaLogin("order").password,
        SCHEMA_REGISTRY_URL: infra.schemaRegistryUrl,
        PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/production mode refuses development settings/);
    expect(lines[0]).toMatch(/AUTH_JWKS/);
    expect(lines[0]).toMatch(/KAFKA_PASSWORD/);
  });
});
