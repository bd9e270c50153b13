import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { InventoryError } from "../errors.js";
import { createAdminAuth } from "./admin-auth.js";
import { getStockSchema, listStockSchema, setStockSchema, stockLevelSchema } from "./schemas.js";
import { findStock, listStock, setOnHand } from "./stock.js";

export function registerStockRoutes(app: FastifyInstance, deps: { pool: pg.Pool; adminToken: string }): void {
  const { pool } = deps;
  const authorize = createAdminAuth(deps.adminToken);
  app.addSchema(stockLevelSchema);

  app.get("/stock", { schema: listStockSchema }, async () => ({ items: await listStock(pool) }));

  app.get<{ Params: { sku: string } }>("/stock/:sku", { schema: getStockSchema }, async (request) => {
    const level = await findStock(pool, request.params.sku);
    if (!level)
      throw new InventoryError("INVENTORY_UNKNOWN_SKU", `no stock is kept for SKU ${request.params.sku}`);
    return level;
  });

  app.put<{ Params: { sku: string }; Body: { onHand: number } }>(
    "/stock/:sku",
    {
      schema: setStockSchema,
      // Before the body is read: an unauthenticated caller learns nothing about what it sent.
      onRequest: async (request, reply) => {
        reply.header("www-authenticate", 'Bearer realm="herald-inventory"');
        authorize(request.headers.authorization);
        reply.removeHeader("www-authenticate");
      },
    },
    async (request) => {
      const level = await setOnHand(pool, request.params.sku, request.body.onHand);
      request.log.info({ sku: level.sku, onHand: level.onHand, reserved: level.reserved }, "stock set");
      return level;
    },
  );
}
