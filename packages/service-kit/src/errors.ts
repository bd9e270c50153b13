import { HeraldError } from "@herald/events";

export type ServiceKitErrorCode =
  | "SERVICE_CONFIG_INVALID"
  /** A package.json's `herald` block does not declare a service the kit can run. */
  | "SERVICE_MANIFEST_INVALID"
  /** A service's consumer handles events of other topics than its manifest says it reads. */
  | "SERVICE_READS_MISMATCH"
  | "SERVICE_MIGRATION_FAILED"
  | "SERVICE_MIGRATION_CHANGED"
  | "SERVICE_MIGRATION_DUPLICATE_ID"
  /** Postgres answered COMMIT with ROLLBACK: a statement failed inside the transaction and was caught. */
  | "SERVICE_TRANSACTION_ROLLED_BACK"
  /** No bearer token on a route that needs one (401). */
  | "AUTH_REQUIRED"
  /** A token that is malformed, expired, or not signed by a trusted key for this issuer and audience (401). */
  | "AUTH_INVALID"
  /** A valid token whose holder may not do this (403). */
  | "AUTH_FORBIDDEN"
  /** A rate limit is spent (429, with Retry-After). */
  | "RATE_LIMITED";

/** A problem starting or running a service's plumbing; `retryable` says whether trying again can help. */
export class ServiceKitError extends HeraldError<ServiceKitErrorCode> {}
