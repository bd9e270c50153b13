import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import { ServiceKitError } from "./errors.js";

/** One allowance: at most `max` requests per `windowMs` for each value of `key`. */
export interface RateLimit {
  /** Names the allowance in the 429's message, e.g. "per customer". */
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
  key(request: FastifyRequest): string;
}

/**
 * A route's `onRequest` hook that counts the request against every allowance and answers 429
 * (RATE_LIMITED, with Retry-After) when one is spent. Counts live in this instance's memory.
 */
export function rateLimits(app: FastifyInstance, limits: readonly RateLimit[]): onRequestAsyncHookHandler {
  const checks = limits.map((limit, index) => ({
    limit,
    check: app.createRateLimit({
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: (request) => `${index}:${limit.key(request)}`,
    }),
  }));
  return async (request, reply) => {
    for (const { limit, check } of checks) {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) continue;
      reply.header("retry-after", String(result.ttlInSeconds));
      throw new ServiceKitError(
        "RATE_LIMITED",
        `too many requests ${limit.name}: at most ${limit.max} in ${limit.windowMs / 1000} s; retry after ${result.ttlInSeconds} s`,
        { retryable: true },
      );
    }
  };
}
