import { createHash, timingSafeEqual } from "node:crypto";
import { errorResponseRef } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { AnalyticsError } from "../errors.js";
import type { Rebuild } from "./rebuild.js";

export interface RebuildRouteOptions {
  readonly pool: pg.Pool;
  /** Empty: rebuilds over HTTP are off (the CLI still works). */
  readonly adminToken: string;
  readonly start: () => Promise<Rebuild>;
  /** Told how each rebuild ended, for the service's log. */
  readonly onFinished?: (outcome: { generation: number; error?: unknown; replayed?: number }) => void;
}

const tags = ["rebuild"];
const generation = {
  type: "object",
  properties: {
    generation: { type: "integer" },
    state: { type: "string", enum: ["building", "live", "retired", "failed"] },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: ["string", "null"], format: "date-time" },
    replayed: { type: "integer" },
    error: { type: ["string", "null"] },
  },
} as const;

const authorization = {
  type: "object",
  properties: { authorization: { type: "string", description: "Bearer <ANALYTICS_ADMIN_TOKEN>" } },
} as const;

/** Whether `header` carries `token` as a bearer token; compares digests, so in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (token === "" || header === undefined) return false;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

export function registerRebuildRoutes(app: FastifyInstance, options: RebuildRouteOptions): void {
  app.post(
    "/analytics/rebuild",
    {
      schema: {
        tags,
        summary: "Replays every topic into fresh read models and swaps them in (202; progress at GET)",
        headers: authorization,
        response: {
          202: generation,
          401: errorResponseRef,
          403: errorResponseRef,
          409: errorResponseRef,
        },
      },
    },
    async (request, reply) => {
      if (options.adminToken === "")
        throw new AnalyticsError(
          "ANALYTICS_REBUILD_DISABLED",
          "rebuilds over HTTP are off: set ANALYTICS_ADMIN_TOKEN, or run the rebuild command",
        );
      if (!bearerMatches(request.headers.authorization, options.adminToken)) {
        reply.header("www-authenticate", 'Bearer realm="analytics"');
        throw new AnalyticsError("ANALYTICS_UNAUTHORIZED", "a valid bearer token is required");
      }
      const rebuild = await options.start();
      request.log.info({ generation: rebuild.generation }, "rebuild started");
      rebuild.done.then(
        (result) => options.onFinished?.({ generation: result.generation, replayed: result.replayed }),
        (error: unknown) => options.onFinished?.({ generation: rebuild.generation, error }),
      );
      const status = await readGenerations(options.pool, rebuild.generation);
      return reply.status(202).send(status[0]);
    },
  );

  app.get(
    "/analytics/rebuild",
    {
      schema: {
        tags,
        summary: "The read-model generations, newest first: which is live, which is building",
        response: {
          200: { type: "object", properties: { generations: { type: "array", items: generation } } },
        },
      },
    },
    async () => ({ generations: await readGenerations(options.pool) }),
  );
}

async function readGenerations(pool: pg.Pool, only?: number) {
  const { rows } = await pool.query<{
    generation: number;
    state: string;
    started_at: Date;
    finished_at: Date | null;
    replayed: string;
    error: string | null;
  }>(
    `SELECT generation, state, started_at, finished_at, replayed, error FROM analytics_generations
      WHERE $1::int IS NULL OR generation = $1 ORDER BY generation DESC LIMIT 20`,
    [only ?? null],
  );
  return rows.map((row) => ({
    generation: row.generation,
    state: row.state,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    replayed: Number(row.replayed),
    error: row.error,
  }));
}
