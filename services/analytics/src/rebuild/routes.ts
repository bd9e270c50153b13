import { errorResponses } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { Rebuild } from "./rebuild.js";

export interface RebuildRouteOptions {
  readonly pool: pg.Pool;
  readonly start: () => Promise<Rebuild>;
  /** Told how each rebuild ended, for the service's log. */
  readonly onFinished?: (outcome: { generation: number; error?: unknown; replayed?: number }) => void;
}

const tags = ["rebuild"];
const OPERATOR = { access: "operator" } as const;
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

export function registerRebuildRoutes(app: FastifyInstance, options: RebuildRouteOptions): void {
  app.post(
    "/analytics/rebuild",
    {
      config: OPERATOR,
      schema: {
        tags,
        summary: "Replays every topic into fresh read models and swaps them in (202; progress at GET)",
        response: {
          202: generation,
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const rebuild = await options.start();
      request.log.info({ generation: rebuild.generation, by: request.principal?.subject }, "rebuild started");
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
      config: OPERATOR,
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
