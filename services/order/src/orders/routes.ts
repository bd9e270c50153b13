import type { FastifyInstance } from "fastify";
import type { Counter } from "prom-client";
import { OrderError } from "../errors.js";
import type { OrderHandler, PlaceOrderRequest } from "./handler.js";
import {
  cancelOrderSchema,
  getOrderSchema,
  orderHistorySchema,
  orderViewSchema,
  placeOrderSchema,
} from "./schemas.js";

interface PlaceOrderBody extends Omit<PlaceOrderRequest, "shippingAddress"> {
  shippingAddress: Omit<PlaceOrderRequest["shippingAddress"], "line2" | "region"> & {
    line2?: string | null;
    region?: string | null;
  };
}

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export function registerOrderRoutes(app: FastifyInstance, handler: OrderHandler, placed: Counter): void {
  app.addSchema(orderViewSchema);

  app.post<{ Body: PlaceOrderBody; Headers: { "idempotency-key"?: string } }>(
    "/orders",
    { schema: placeOrderSchema },
    async (request, reply) => {
      const { shippingAddress, ...rest } = request.body;
      const result = await handler.place(
        {
          ...rest,
          shippingAddress: {
            ...shippingAddress,
            line2: shippingAddress.line2 ?? null,
            region: shippingAddress.region ?? null,
          },
        },
        {
          idempotencyKey: request.headers["idempotency-key"],
          rawBody: request.body,
          traceparent: traceparent(request.headers.traceparent),
        },
      );
      if (result.replayed) reply.header("idempotent-replayed", "true");
      else placed.inc();
      request.log.info({ orderId: result.body.orderId, replayed: result.replayed }, "order placed");
      return reply
        .status(result.statusCode)
        .header("location", `/orders/${result.body.orderId}`)
        .send(result.body);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { asOf?: string } }>(
    "/orders/:id",
    { schema: getOrderSchema },
    async (request) =>
      handler.get(
        request.params.id,
        request.query.asOf === undefined ? undefined : instant(request.query.asOf),
      ),
  );

  app.get<{ Params: { id: string } }>(
    "/orders/:id/history",
    { schema: orderHistorySchema },
    async (request) => ({
      orderId: request.params.id,
      events: await handler.history(request.params.id),
    }),
  );

  app.post<{ Params: { id: string } }>(
    "/orders/:id/cancel",
    { schema: cancelOrderSchema },
    async (request) => {
      const view = await handler.cancel(request.params.id, {
        traceparent: traceparent(request.headers.traceparent),
      });
      request.log.info({ orderId: view.orderId, status: view.status }, "order cancel requested");
      return view;
    },
  );
}

/** The schema checks the ISO 8601 form; a leap second (23:59:60) passes it but is no instant a clock can name. */
function instant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    const detail = { path: "querystring/asOf", message: "must be a real instant (no leap second)" };
    throw new OrderError("ORDER_INVALID", `${detail.path} ${detail.message}`, false, [detail]);
  }
  return at;
}

function traceparent(header: string | string[] | undefined): string | null {
  return typeof header === "string" && TRACEPARENT.test(header) ? header : null;
}
