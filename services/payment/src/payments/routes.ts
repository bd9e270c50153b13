import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { PaymentError } from "../errors.js";
import { findPayment, findPaymentsOfOrder } from "./repository.js";
import { getPaymentSchema, listPaymentsSchema, paymentViewSchema } from "./schemas.js";

export function registerPaymentRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.addSchema(paymentViewSchema);

  app.get<{ Querystring: { orderId: string } }>(
    "/payments",
    { config: { access: "support" }, schema: listPaymentsSchema },
    async (request) => ({
      orderId: request.query.orderId,
      payments: await findPaymentsOfOrder(pool, request.query.orderId),
    }),
  );

  app.get<{ Params: { id: string } }>(
    "/payments/:id",
    { config: { access: "support" }, schema: getPaymentSchema },
    async (request) => {
      const payment = await findPayment(pool, request.params.id);
      if (!payment)
        throw new PaymentError("PAYMENT_NOT_FOUND", `payment ${request.params.id} does not exist`);
      return payment;
    },
  );
}
