import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { listEmailsSchema } from "./schemas.js";
import { listMailsOfOrder } from "./store.js";

export function registerEmailRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.get<{ Querystring: { orderId: string } }>(
    "/emails",
    { config: { access: "support" }, schema: listEmailsSchema },
    async (request) => ({
      orderId: request.query.orderId,
      emails: await listMailsOfOrder(pool, request.query.orderId),
    }),
  );
}
