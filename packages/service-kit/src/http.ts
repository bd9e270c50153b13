import { randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { AUTH_ERROR_STATUS, type Authenticator, hasRole } from "./auth.js";
import { ServiceKitError } from "./errors.js";
import { SAFE_STRING_PATTERN } from "./strings.js";
import { traceHttp } from "./telemetry.js";

/** A readiness probe: resolves when the dependency is usable, throws (or times out) when not. */
export type ReadinessCheck = () => Promise<void>;

/**
 * A check `/health/ready` reports; an `informational` one is shown but never makes the service
 * unready (e.g. a consumer still joining its group while HTTP already serves).
 */
export type Readiness = ReadinessCheck | { readonly check: ReadinessCheck; readonly informational: true };

export interface HttpServerOptions {
  readonly logger: Logger;
  /** Title, version and description of the OpenAPI document served at `/docs`. */
  readonly api: { readonly title: string; readonly version: string; readonly description?: string };
  readonly metrics: Registry;
  /** Named probes behind `/health/ready` (e.g. `{ database, kafka }`); all but informational ones must pass. */
  readonly readiness?: Readonly<Record<string, Readiness>>;
  readonly readinessTimeoutMs?: number;
  /** Maps the typed error codes a service throws (e.g. `ORDER_NOT_FOUND`) to their HTTP status. */
  readonly errorStatus?: Readonly<Record<string, number>>;
  /** Larger bodies get 413 before they are parsed. Default 64 KiB. */
  readonly bodyLimit?: number;
  /**
   * Verifies bearer tokens. Every route needs a valid one unless it says `config: { access: "public" }`
   * (the operations routes and `/docs` do); `access: "support"` or `"operator"` also needs the role.
   */
  readonly auth: Authenticator;
}

/** The body of every error response (and the `ErrorResponse` schema routes refer to). */
export interface ErrorResponse {
  statusCode: number;
  code: string;
  message: string;
  details?: { path: string; message: string }[];
  requestId: string;
}

export const errorResponseSchema = {
  $id: "ErrorResponse",
  type: "object",
  required: ["statusCode", "code", "message", "requestId"],
  properties: {
    statusCode: { type: "integer" },
    code: { type: "string", description: "Stable machine-readable error code" },
    message: { type: "string" },
    details: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string" }, message: { type: "string" } },
      },
    },
    requestId: { type: "string" },
  },
} as const;

/** `{ $ref }` to the shared error schema, for a route's `response` map. */
export const errorResponseRef = { $ref: "ErrorResponse#" } as const;

/** A route's error answers for its `response` map: the shared error schema under each status. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorResponseRef> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponseRef]));
}

/** The query string of a route that answers what a service holds about one order: `?orderId=<uuid>`. */
export const orderIdQuerystring = {
  type: "object",
  additionalProperties: false,
  required: ["orderId"],
  properties: { orderId: { type: "string", format: "uuid", description: "the order's id" } },
} as const;

/** A registry with Node's default process metrics; share it with the outbox relay and consumer. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

const FASTIFY_ERRORS: Readonly<Record<string, { code: string; message?: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "send the body as application/json",
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "INVALID_JSON", message: "the body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "EMPTY_BODY" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "INVALID_CONTENT_LENGTH" },
};

/**
 * A Fastify app with what every service exposes: `/health/live`, `/health/ready`, `/metrics`,
 * OpenAPI at `/docs` built from route schemas, strict JSON validation (extra properties are
 * errors, nothing is coerced), a body limit, and one error handler that maps typed error codes to
 * statuses and never shows 5xx internals. Add routes after it resolves, so they reach the docs.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: true },
    },
  }) as unknown as FastifyInstance;

  traceHttp(app); // first: every other hook and handler runs in the request's span
  app.addSchema(errorResponseSchema);
  guardRoutes(app, options.auth);
  // JSON only: a cross-site form or a text/plain fetch cannot reach a route that changes state.
  app.removeContentTypeParser("text/plain");
  // Limits are per route (see rateLimits); none applies unless a route asks.
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: options.api.title, version: options.api.version, description: options.api.description },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.metrics],
  });
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
  });

  const errorStatus = { ...AUTH_ERROR_STATUS, RATE_LIMITED: 429, ...options.errorStatus };
  app.setErrorHandler((error: FastifyError & { details?: ErrorResponse["details"] }, request, reply) => {
    const body = toErrorResponse(error, errorStatus, bodyLimit, String(request.id));
    if (body.code === "SERVICE_BUSY") request.log.warn(body.message);
    else if (body.statusCode >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: body.code, statusCode: body.statusCode }, body.message);
    if (body.statusCode === 503) reply.header("retry-after", body.code === "SERVICE_BUSY" ? "1" : "5");
    if (body.statusCode === 401)
      reply.header(
        "www-authenticate",
        body.code === "AUTH_INVALID"
          ? 'Bearer realm="herald", error="invalid_token"'
          : 'Bearer realm="herald"',
      );
    return reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      code: "ROUTE_NOT_FOUND",
      message: `no route ${request.method} ${request.url.split("?")[0]}`,
      requestId: String(request.id),
    } satisfies ErrorResponse),
  );

  registerOperations(app, options);
  return app;
}

function toErrorResponse(
  error: FastifyError & { details?: ErrorResponse["details"] },
  errorStatus: Readonly<Record<string, number>>,
  bodyLimit: number,
  requestId: string,
): ErrorResponse {
  if (error.validation) {
    const details = error.validation.map((issue) => {
      const params = issue.params as Record<string, unknown>;
      const base = `${error.validationContext ?? "body"}${issue.instancePath}`;
      if (typeof params.missingProperty === "string")
        return { path: `${base}/${params.missingProperty}`, message: "is required" };
      if (typeof params.additionalProperty === "string")
        return { path: `${base}/${params.additionalProperty}`, message: "is not allowed" };
      if (params.pattern === SAFE_STRING_PATTERN)
        return { path: base, message: "must be text with a visible character and no control characters" };
      return { path: base, message: issue.message ?? "is invalid" };
    });
    const message = details.map((detail) => `${detail.path} ${detail.message}`).join("; ");
    return { statusCode: 400, code: "VALIDATION_FAILED", message, details, requestId };
  }
  const mapped = error.code ? errorStatus[error.code] : undefined;
  if (mapped !== undefined) {
    const body: ErrorResponse = { statusCode: mapped, code: error.code, message: error.message, requestId };
    if (error.details) body.details = error.details;
    // A mapped server-side error names its code (what is wrong) but not its message (internals).
    return mapped >= 500 ? { ...hidden(mapped, requestId), code: error.code } : body;
  }
  // pg-pool's wait for a free connection ran out: the service is overloaded, not broken.
  if (error.message === POOL_CONNECT_TIMEOUT)
    return {
      statusCode: 503,
      code: "SERVICE_BUSY",
      message: "too busy to take this request, retry later",
      requestId,
    };
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  const statusCode = error.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) {
    const message =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? `the body exceeds the limit of ${bodyLimit} bytes`
        : (known?.message ?? error.message);
    return { statusCode, code: known?.code ?? error.code ?? "BAD_REQUEST", message, requestId };
  }
  return hidden(Math.max(statusCode, 500), requestId);
}

/** What pg-pool rejects `connect()` with when no connection came free within `connectionTimeoutMillis`. */
const POOL_CONNECT_TIMEOUT = "timeout exceeded when trying to connect";

function hidden(statusCode: number, requestId: string): ErrorResponse {
  return {
    statusCode,
    code: statusCode === 503 ? "UNAVAILABLE" : "INTERNAL",
    message: statusCode === 503 ? "temporarily unavailable, retry later" : "internal error",
    requestId,
  };
}

function registerOperations(app: FastifyInstance, options: HttpServerOptions): void {
  const checks = Object.entries(options.readiness ?? {});
  const timeoutMs = options.readinessTimeoutMs ?? 2_000;
  const status = { type: "object", properties: { status: { type: "string" } } } as const;
  const tags = ["operations"];
  const readinessSchema = {
    type: "object",
    properties: {
      status: { type: "string", enum: ["ready", "unavailable"] },
      checks: {
        type: "object",
        additionalProperties: {
          type: "object",
          properties: {
            status: { type: "string", enum: ["up", "down"] },
            error: { type: "string" },
            informational: { type: "boolean" },
          },
        },
      },
    },
  } as const;

  app.get(
    "/health/live",
    {
      config: { access: "public" },
      schema: { tags, summary: "The process is up", response: { 200: status } },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/health/ready",
    {
      config: { access: "public" },
      schema: {
        tags,
        summary: "Every dependency answers (503 otherwise)",
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(
        checks.map(async ([name, probe]) => {
          const informational = typeof probe !== "function";
          const check = typeof probe === "function" ? probe : probe.check;
          const flag = informational ? { informational } : {};
          try {
            await withTimeout(check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
            return [name, { status: "up", ...flag }] as const;
          } catch (error) {
            if (!informational) request.log.warn({ err: error, check: name }, "readiness check failed");
            return [name, { status: "down", error: (error as Error).message, ...flag }] as const;
          }
        }),
      );
      const ready = results.every(([, result]) => result.status === "up" || "informational" in result);
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? "ready" : "unavailable", checks: Object.fromEntries(results) });
    },
  );

  app.get(
    "/metrics",
    { config: { access: "public" }, schema: { tags, summary: "Prometheus metrics" } },
    async (_request, reply) =>
      reply.header("content-type", options.metrics.contentType).send(await options.metrics.metrics()),
  );
}

/**
 * Safe by default: every route needs a valid bearer token unless it is declared public, and a route
 * that names a role needs it. The OpenAPI document shows which routes take a token.
 */
function guardRoutes(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest("principal", null);
  app.addHook("onRoute", (route) => {
    // The documentation's own routes (UI, assets, JSON) are registered by its plugin.
    if (route.url.startsWith("/docs")) route.config = { ...route.config, access: "public" };
    const access = route.config?.access ?? "authenticated";
    if (access !== "public" && route.schema && !route.schema.hide)
      route.schema = {
        ...route.schema,
        security: [{ bearer: [] }],
        ...(access === "authenticated" ? {} : { description: withRole(route.schema.description, access) }),
      };
  });
  app.addHook("onRequest", async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? "authenticated";
    if (access === "public") return;
    const principal = await auth.verify(request.headers.authorization);
    if (access !== "authenticated" && !hasRole(principal, access))
      throw new ServiceKitError("AUTH_FORBIDDEN", `this route needs the ${access} role`);
    request.principal = principal;
  });
}

function withRole(description: unknown, role: string): string {
  const needs = `Needs a token with the \`${role}\` role.`;
  return typeof description === "string" && description ? `${description}\n\n${needs}` : needs;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
