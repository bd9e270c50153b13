import { randomUUID } from "node:crypto";
import {
  createScratchSchema,
  type ScratchSchema,
  serviceEnvironment,
  testInfra,
  waitFor,
} from "@herald/dev-stack/testing";
import { sampleEvent } from "@herald/events/testing";
import { enqueue } from "@herald/outbox";
import { Partitioners } from "kafkajs";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "./postgres.js";
import { defineService, type RunningService, serviceConfigSpec, startService } from "./service.js";

/** A service with one route that writes an event and a consumer that records what it receives. */
function echoService(name: string) {
  return defineService({
    manifest: { name, version: "0.0.1", port: 0, writes: [], reads: ["orders"] },
    description: "echo",
    configSpec: serviceConfigSpec({ port: 0 }),
    migrations: [{ id: "echo-001", sql: "CREATE TABLE received (order_id text PRIMARY KEY)" }],
    consumer: {
      topics: ["orders"],
      tuning: { fromBeginning: false },
      handler: () => async (event, tx) => {
        if (event.type === "OrderPlaced")
          await tx.query("INSERT INTO received (order_id) VALUES ($1)", [event.data.orderId]);
      },
    },
    routes(app, { pool }) {
      app.post<{ Params: { id: string } }>(
        "/echo/:id",
        { config: { access: "public" } },
        async (request, reply) => {
          await withTransaction(pool, (tx) =>
            enqueue(tx, sampleEvent("OrderPlaced", { orderId: request.params.id })),
          );
          return reply.status(202).send({ ok: true });
        },
      );
    },
  });
}

describe("startService", () => {
  let scratch: ScratchSchema;
  let service: RunningService;

  beforeAll(async () => {
    scratch = await createScratchSchema(testInfra().databaseUrls.order, "kit_service");
    service = await startService(echoService(`kit-echo-${randomUUID().slice(0, 8)}`), {
      env: serviceEnvironment(scratch.url, { PORT: "0", HOST: "127.0.0.1" }),
      logger: pino({ level: "silent" }),
    });
  });

  afterAll(async () => {
    await service?.stop();
    await scratch?.drop();
  });

  it("serves HTTP before the consumer has joined, reporting the join in readiness without failing it", async () => {
    const ready = await fetch(`${service.url}/health/ready`);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.checks.database?.status).toBe("up");
    expect(body.checks.outbox?.status).toBe("up");
    expect(body.checks.kafka).toMatchObject({ informational: true });
    expect(body.checks.consumer).toMatchObject({ informational: true });
    await service.consumerJoined;
    const after = (await (await fetch(`${service.url}/health/ready`)).json()) as typeof body;
    expect(after).toMatchObject({ status: "ready", checks: { consumer: { status: "up" } } });
  });

  it("carries an event from a route through its outbox, the in-process relay and Kafka to its own consumer", async () => {
    await service.consumerJoined;
    const orderId = `kit-${randomUUID()}`;
    expect((await fetch(`${service.url}/echo/${orderId}`, { method: "POST" })).status).toBe(202);
    await expect
      .poll(
        async () =>
          (await service.context.pool.query("SELECT 1 FROM received WHERE order_id = $1", [orderId]))
            .rowCount,
        { timeout: 30_000, interval: 100 },
      )
      .toBe(1);
  });

  it("keeps consuming while a burst of requests holds every connection of the routes' pool", async () => {
    await service.consumerJoined;
    const { pool, kafka, serde } = service.context;
    const held: pg.PoolClient[] = [];
    const reader = new pg.Client({ connectionString: scratch.url });
    await reader.connect();
    try {
      // As when hundreds of placements wait on the pool after a restart: none of its connections is free.
      while (pool.totalCount < pool.options.max || pool.idleCount > 0) held.push(await pool.connect());
      const orderId = `kit-${randomUUID()}`;
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const event = sampleEvent("OrderPlaced", { orderId });
      await producer.send({
        topic: "orders",
        messages: [{ key: orderId, value: await serde.encode(event) }],
      });
      await producer.disconnect();
      await waitFor(
        `the consumer to record ${orderId} while the routes' pool is exhausted`,
        async () =>
          (await reader.query("SELECT 1 FROM received WHERE order_id = $1", [orderId])).rowCount === 1,
        30_000,
      );
    } finally {
      for (const client of held) client.release();
      await reader.end();
    }
  });

  it("answers 503 SERVICE_BUSY with Retry-After, not 500, when no connection of its pool comes free in time", async () => {
    const { pool } = service.context;
    const held: pg.PoolClient[] = [];
    try {
      while (pool.totalCount < pool.options.max || pool.idleCount > 0) held.push(await pool.connect());
      const response = await fetch(`${service.url}/echo/kit-${randomUUID()}`, { method: "POST" });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toMatchObject({ code: "SERVICE_BUSY" });
    } finally {
      for (const client of held) client.release();
    }
  });

  it("survives Postgres ending a connection that is checked out of its pool (as a database restart does)", async () => {
    const client = await service.context.pool.connect();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const admin = new pg.Client({ connectionString: testInfra().databaseUrls.order });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    await admin.end();
    await expect(client.query("SELECT 1")).rejects.toThrow();
    client.release();
    // The broken connection left the pool; the next query gets a fresh one.
    expect((await service.context.pool.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
  });

  it("stops HTTP, consumer and relay and closes its pool", async () => {
    await service.stop();
    await expect(fetch(`${service.url}/health/live`)).rejects.toThrow();
    expect(service.context.pool.ending).toBe(true);
  });
});

describe("a service whose outbox cannot take writes", () => {
  let scratch: ScratchSchema;
  let service: RunningService;

  beforeAll(async () => {
    scratch = await createScratchSchema(testInfra().databaseUrls.order, "kit_no_partition");
    service = await startService(echoService(`kit-full-${randomUUID()}`), {
      // No relay runs here, so nothing adds partitions back.
      env: serviceEnvironment(scratch.url, { PORT: "0", HOST: "127.0.0.1", RELAY_MODE: "external" }),
      logger: pino({ level: "silent" }),
    });
    const { rows } = await service.context.pool.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'outbox'::regclass",
    );
    for (const { name } of rows) {
      await service.context.pool.query(`ALTER TABLE outbox DETACH PARTITION ${name}`);
      await service.context.pool.query(`DROP TABLE ${name}`);
    }
  });

  afterAll(async () => {
    await service?.stop();
    await scratch?.drop();
  });

  it("is not ready and says why", async () => {
    const response = await fetch(`${service.url}/health/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, { status: string; error?: string }> };
    expect(body.checks.outbox).toMatchObject({
      status: "down",
      error: expect.stringContaining("OUTBOX_NO_PARTITION_AHEAD"),
    });
  });

  it("answers a write with 503, the outbox's code and Retry-After, not an opaque 500", async () => {
    const response = await fetch(`${service.url}/echo/${randomUUID()}`, { method: "POST" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ code: "OUTBOX_NO_PARTITION" });
  });
});
