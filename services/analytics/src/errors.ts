import { HeraldError } from "@herald/events";

export type AnalyticsErrorCode =
  | "ANALYTICS_INVALID"
  | "ANALYTICS_ORDER_NOT_FOUND"
  | "ANALYTICS_STREAM_LIMIT"
  | "ANALYTICS_STREAM_BUSY"
  | "ANALYTICS_REBUILD_RUNNING"
  | "ANALYTICS_REBUILD_FAILED";

/** Everything the Analytics service refuses or fails at; `retryable` says whether trying again can help. */
export class AnalyticsError extends HeraldError<AnalyticsErrorCode> {}

/** How the HTTP error handler answers each code. */
export const ANALYTICS_ERROR_STATUS: Readonly<Record<AnalyticsErrorCode, number>> = {
  ANALYTICS_INVALID: 400,
  ANALYTICS_ORDER_NOT_FOUND: 404,
  ANALYTICS_STREAM_LIMIT: 429,
  ANALYTICS_STREAM_BUSY: 503,
  ANALYTICS_REBUILD_RUNNING: 409,
  ANALYTICS_REBUILD_FAILED: 500,
};
