import { HeraldError } from "@herald/events";

export type InventoryErrorCode =
  | "INVENTORY_UNKNOWN_SKU"
  | "INVENTORY_BELOW_RESERVED"
  /** If-Match names a version of the SKU that is no longer current (412). */
  | "INVENTORY_STALE_STOCK"
  /** An absolute write without If-Match (428): it would overwrite changes the caller never saw. */
  | "INVENTORY_PRECONDITION_REQUIRED"
  | "INVENTORY_TOO_MUCH_STOCK"
  | "INVENTORY_INVALID_EVENT";

/** Everything the Inventory service refuses or fails at; `retryable` says whether trying again can help. */
export class InventoryError extends HeraldError<InventoryErrorCode> {}

/** How the HTTP error handler answers each code. */
export const INVENTORY_ERROR_STATUS: Readonly<Record<InventoryErrorCode, number>> = {
  INVENTORY_UNKNOWN_SKU: 404,
  INVENTORY_BELOW_RESERVED: 409,
  INVENTORY_STALE_STOCK: 412,
  INVENTORY_PRECONDITION_REQUIRED: 428,
  INVENTORY_TOO_MUCH_STOCK: 422,
  // Never reaches HTTP: a malformed consumed event is dead-lettered (retryable false).
  INVENTORY_INVALID_EVENT: 422,
};
