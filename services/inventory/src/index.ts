export { configSpec, type InventoryConfig } from "./config.js";
export { INVENTORY_ERROR_STATUS, InventoryError, type InventoryErrorCode } from "./errors.js";
export { inventoryMigrations } from "./migrations.js";
export { CONSUMED_TOPICS, createInventoryReactions } from "./reservations/reactions.js";
export { inventoryService } from "./service.js";
