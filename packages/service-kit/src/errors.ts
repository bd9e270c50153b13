export type ServiceKitErrorCode =
  | "SERVICE_CONFIG_INVALID"
  | "SERVICE_MIGRATION_FAILED"
  | "SERVICE_MIGRATION_CHANGED"
  | "SERVICE_MIGRATION_DUPLICATE_ID"
  /** Postgres answered COMMIT with ROLLBACK: a statement failed inside the transaction and was caught. */
  | "SERVICE_TRANSACTION_ROLLED_BACK";

/** A problem starting or running a service's plumbing; `retryable` says whether trying again can help. */
export class ServiceKitError extends Error {
  override readonly name = "ServiceKitError";
  constructor(
    readonly code: ServiceKitErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
