import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { errorResponseRef, errorResponses } from "./http.js";
import { createTestHttpServer } from "./testing-http.js";

class ShopError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(readiness: Record<string, () => Promise<void>> = {}): Promise<FastifyInstance> {
  app = await createTestHttpServer("Shop", {
    readiness,
    readinessTimeoutMs: 100,
    errorStatus: { SHOP_NOT_FOUND: 404, SHOP_BROKEN: 500, SHOP_CLOSED: 503 },
    bodyLimit: 256,
  });
  app.post(
    "/things",
    {
      config: { access: "public" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "count"],
          properties: { name: { type: "string" }, count: { type: "integer", minimum: 1 } },
        },
        response: { 201: { type: "object", properties: { ok: { type: "boolean" } } }, 400: errorResponseRef },
      },
    },
    async (_request, reply) => reply.status(201).send({ ok: true }),
  );
  app.get("/missing", { config: { access: "public" } }, async () => {
    throw new ShopError("SHOP_NOT_FOUND", "no such thing");
  });
  app.get("/closed", { config: { access: "public" } }, async () => {
    throw new ShopError("SHOP_CLOSED", "maintenance window on db-7");
  });
  app.get("/broken", { config: { access: "public" } }, async () => {
    throw new ShopError("SHOP_BROKEN", "password=hunter2 leaked");
  });
  app.get("/crash", { config: { access: "public" } }, async () => {
    throw new Error("db at 10.0.0.1 refused");
  });
  await app.ready();
  return app;
}

describe("createHttpServer", () => {
  it("answers liveness and readiness", async () => {
    const server = await build({ database: async () => {} });
    expect((await server.inject("/health/live")).json()).toEqual({ status: "ok" });
    const ready = await server.inject("/health/ready");
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", checks: { database: { status: "up" } } });
  });

  it("is unready when a check fails or hangs", async () => {
    const server = await build({
      database: async () => {},
      kafka: () => new Promise(() => {}),
      cache: async () => {
        throw new Error("refused");
      },
    });
    const ready = await server.inject("/health/ready");
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({
      status: "unavailable",
      checks: {
        database: { status: "up" },
        kafka: { status: "down", error: "kafka did not answer within 100 ms" },
        cache: { status: "down", error: "refused" },
      },
    });
  });

  it("gives field-level 400s for missing, extra and out-of-range fields", async () => {
    const server = await build();
    const response = await server.inject({
      method: "POST",
      url: "/things",
      payload: { count: 0, colour: "red" },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe("VALIDATION_FAILED");
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: "body/name", message: "is required" },
        { path: "body/colour", message: "is not allowed" },
        { path: "body/count", message: "must be >= 1" },
      ]),
    );
    expect(body.message).toContain("body/colour is not allowed");
  });

  it("does not coerce types", async () => {
    const server = await build();
    const response = await server.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x", count: "2" },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([{ path: "body/count", message: "must be integer" }]);
  });

  it("maps malformed bodies to 400, 413 and 415", async () => {
    const server = await build();
    const json = { "content-type": "application/json" };
    const bad = await server.inject({ method: "POST", url: "/things", headers: json, payload: "{nope" });
    expect([bad.statusCode, bad.json().code]).toEqual([400, "INVALID_JSON"]);
    const big = await server.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x".repeat(300), count: 1 },
    });
    expect([big.statusCode, big.json().code]).toEqual([413, "BODY_TOO_LARGE"]);
    expect(big.json().message).toBe("the body exceeds the limit of 256 bytes");
    const text = await server.inject({
      method: "POST",
      url: "/things",
      headers: { "content-type": "text/xml" },
      payload: "<thing/>",
    });
    expect([text.statusCode, text.json().code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
  });

  it("maps typed error codes and hides 5xx internals", async () => {
    const server = await build();
    const missing = await server.inject("/missing");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "SHOP_NOT_FOUND", message: "no such thing" });
    // A mapped code is part of the API, so it is named; its message may carry internals, so it is not.
    for (const [url, code] of [
      ["/broken", "SHOP_BROKEN"],
      ["/crash", "INTERNAL"],
    ]) {
      const response = await server.inject(url!);
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        statusCode: 500,
        code,
        message: "internal error",
        requestId: response.headers["x-request-id"],
      });
    }
    const route = await server.inject("/nowhere?x=1");
    expect(route.json()).toMatchObject({
      statusCode: 404,
      code: "ROUTE_NOT_FOUND",
      message: "no route GET /nowhere",
    });
  });

  it("answers a mapped 503 with its code and Retry-After, so a client knows what is wrong and when to retry", async () => {
    const response = await (await build()).inject("/closed");
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.json()).toMatchObject({
      code: "SHOP_CLOSED",
      message: "temporarily unavailable, retry later",
    });
  });

  it("serves metrics and the OpenAPI document", async () => {
    const server = await build();
    await server.inject("/health/live");
    const metrics = await server.inject("/metrics");
    expect(metrics.headers["content-type"]).toContain("text/plain");
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} 1/,
    );
    const spec = (await server.inject("/docs/json")).json();
    expect(spec.openapi).toBe("3.1.0");
    expect(spec.info.title).toBe("Shop");
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/things", "/health/ready"]));
    expect(spec.paths["/things"].post.requestBody.content["application/json"].schema.required).toEqual([
      "name",
      "count",
    ]);
    expect((await server.inject("/docs")).statusCode).toBeLessThan(400);
  });
});

describe("errorResponses", () => {
  it("puts the shared error schema under each status it is given", () => {
    expect(errorResponses(400, 404, 409)).toEqual({
      400: errorResponseRef,
      404: errorResponseRef,
      409: errorResponseRef,
    });
  });
});
