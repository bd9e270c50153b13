import type { FastifyInstance, FastifyReply } from "fastify";
import type pg from "pg";
import { InventoryError } from "../errors.js";
import {
  adjustStockSchema,
  getStockSchema,
  listStockSchema,
  setStockSchema,
  stockLevelSchema,
} from "./schemas.js";
import { adjustOnHand, findStock, listStock, type StockView, setOnHand } from "./stock.js";

const ETAG = /^(?:W\/)?"(\d{1,15})"$/;

/** Stock levels are public (the shop shows what is available); changing them is an operator's job. */
export function registerStockRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.addSchema(stockLevelSchema);

  app.get("/stock", { config: { access: "public" }, schema: listStockSchema }, async () => ({
    items: await listStock(pool),
  }));

  app.get<{ Params: { sku: string } }>(
    "/stock/:sku",
    { config: { access: "public" }, schema: getStockSchema },
    async (request, reply) => {
      const level = await findStock(pool, request.params.sku);
      if (!level)
        throw new InventoryError("INVENTORY_UNKNOWN_SKU", `no stock is kept for SKU ${request.params.sku}`);
      return withETag(reply, level);
    },
  );

  app.put<{ Params: { sku: string }; Body: { onHand: number }; Headers: { "if-match"?: string } }>(
    "/stock/:sku",
    { config: { access: "operator" }, schema: setStockSchema },
    async (request, reply) => {
      const level = await setOnHand(
        pool,
        request.params.sku,
        request.body.onHand,
        expectedVersion(request.headers["if-match"]),
      );
      request.log.info({ sku: level.sku, onHand: level.onHand, version: level.version }, "stock set");
      return withETag(reply, level);
    },
  );

  app.post<{ Params: { sku: string }; Body: { delta: number } }>(
    "/stock/:sku/adjustments",
    { config: { access: "operator" }, schema: adjustStockSchema },
    async (request, reply) => {
      const level = await adjustOnHand(pool, request.params.sku, request.body.delta);
      request.log.info({ sku: level.sku, delta: request.body.delta, onHand: level.onHand }, "stock adjusted");
      return withETag(reply, level);
    },
  );
}

function withETag(reply: FastifyReply, level: StockView): StockView {
  reply.header("etag", `"${level.version}"`);
  return level;
}

function expectedVersion(ifMatch: string | undefined): number {
  if (ifMatch === undefined)
    throw new InventoryError(
      "INVENTORY_PRECONDITION_REQUIRED",
      'setting on hand needs If-Match with the ETag you read (GET /stock/{sku}), e.g. If-Match: "7"',
    );
  const version = ETAG.exec(ifMatch.trim())?.[1];
  if (version === undefined)
    throw new InventoryError(
      "INVENTORY_STALE_STOCK",
      `If-Match ${ifMatch} names no version of this SKU; send the ETag from GET /stock/{sku}`,
    );
  return Number(version);
}
