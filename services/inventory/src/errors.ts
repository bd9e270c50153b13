import { HeraldError } from "@herald/events";

/** How the HTTP error handler answers each code; its keys are the codes. */
export const INVENTORY_ERROR_STATUS = {
  INVENTORY_UNKNOWN_SKU: 404,
  INVENTORY_BELOW_RESERVED: 409,
  /** If-Match names a version of the SKU that is no longer current (412). */
  INVENTORY_STALE_STOCK: 412,
  /** An absolute write without If-Match (428): it would overwrite changes the caller never saw. */
  INVENTORY_PRECONDITION_REQUIRED: 428,
  INVENTORY_TOO_MUCH_STOCK: 422,
  // Never reaches HTTP: a malformed consumed event is dead-lettered (retryable false).
  INVENTORY_INVALID_EVENT: 422,
} as const satisfies Readonly<Record<string, number>>;

export type InventoryErrorCode = keyof typeof INVENTORY_ERROR_STATUS;

/** Everything the Inventory service refuses or fails at; `retryable` says whether trying again can help. */
export class InventoryError extends HeraldError<InventoryErrorCode> {}
