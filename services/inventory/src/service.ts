import { defineService } from "@herald/service-kit";
import { configSpec, manifest } from "./config.js";
import { INVENTORY_ERROR_STATUS } from "./errors.js";
import { inventoryMigrations } from "./migrations.js";
import { CONSUMED_TOPICS, createInventoryReactions } from "./reservations/reactions.js";
import { registerReservationRoutes } from "./reservations/routes.js";
import { registerStockRoutes } from "./stock/routes.js";

/** The Inventory service: stock per SKU, all-or-nothing reservations, their release, sale and restock. */
export const inventoryService = defineService({
  manifest,
  description:
    "Stock per SKU. Reserves every line of a placed order or none, releases on payment failure or cancellation, turns a confirmed reservation into a sale and restocks a cancelled sale.",
  configSpec,
  migrations: inventoryMigrations,
  consumer: {
    topics: CONSUMED_TOPICS,
    handler: (context) => createInventoryReactions(context),
  },
  // The only bodies are {"onHand": n} and {"delta": n}.
  http: { errorStatus: INVENTORY_ERROR_STATUS, bodyLimit: 1024 },
  routes(app, context) {
    registerStockRoutes(app, context.pool);
    registerReservationRoutes(app, context.pool);
  },
});
