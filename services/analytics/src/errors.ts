import { HeraldError } from "@herald/events";

/** How the HTTP error handler answers each code; its keys are the codes. */
export const ANALYTICS_ERROR_STATUS = {
  ANALYTICS_INVALID: 400,
  ANALYTICS_ORDER_NOT_FOUND: 404,
  ANALYTICS_STREAM_LIMIT: 429,
  ANALYTICS_STREAM_BUSY: 503,
  ANALYTICS_REBUILD_RUNNING: 409,
  ANALYTICS_REBUILD_FAILED: 500,
} as const satisfies Readonly<Record<string, number>>;

export type AnalyticsErrorCode = keyof typeof ANALYTICS_ERROR_STATUS;

/** Everything the Analytics service refuses or fails at; `retryable` says whether trying again can help. */
export class AnalyticsError extends HeraldError<AnalyticsErrorCode> {}
