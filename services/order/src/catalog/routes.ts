import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { listCatalog } from "./catalog.js";

export function registerCatalogRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.get(
    "/catalog",
    {
      config: { access: "public" },
      schema: {
        tags: ["catalog"],
        summary: "Every product that can be ordered, with its price",
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  required: ["sku", "name", "unitPrice"],
                  properties: {
                    sku: { type: "string" },
                    name: { type: "string" },
                    unitPrice: { $ref: "Money#" },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ items: await listCatalog(pool) }),
  );
}
