export type InventoryErrorCode =
  | "INVENTORY_UNKNOWN_SKU"
  | "INVENTORY_UNAUTHORIZED"
  | "INVENTORY_BELOW_RESERVED"
  | "INVENTORY_INVALID_EVENT";

/** Everything the Inventory service refuses or fails at; `retryable` says whether trying again can help. */
export class InventoryError extends Error {
  override readonly name = "InventoryError";
  constructor(
    readonly code: InventoryErrorCode,
    message: string,
    readonly retryable = false,
    readonly details?: { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How the HTTP error handler answers each code. */
export const INVENTORY_ERROR_STATUS: Readonly<Record<InventoryErrorCode, number>> = {
  INVENTORY_UNKNOWN_SKU: 404,
  INVENTORY_UNAUTHORIZED: 401,
  INVENTORY_BELOW_RESERVED: 409,
  // Never reaches HTTP: a malformed consumed event is dead-lettered (retryable false).
  INVENTORY_INVALID_EVENT: 422,
};
