import { assertActsFor, hasRole, type Principal, rateLimits } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type { Counter } from "prom-client";
import { OrderError } from "../errors.js";
import { HISTORY_PAGE, type OrderHandler, type PlaceOrderRequest } from "./handler.js";
import {
  cancelOrderSchema,
  getOrderSchema,
  orderHistorySchema,
  orderViewSchema,
  placeOrderSchema,
} from "./schemas.js";

interface PlaceOrderBody extends Omit<PlaceOrderRequest, "shippingAddress" | "customerId" | "customerEmail"> {
  customerId?: string;
  customerEmail?: string;
  shippingAddress: Omit<PlaceOrderRequest["shippingAddress"], "line2" | "region"> & {
    line2?: string | null;
    region?: string | null;
  };
}

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** How many orders one customer, and one client address, may place per minute. */
export interface PlacementLimits {
  readonly perCustomer: number;
  readonly perClientAddress: number;
}

export function registerOrderRoutes(
  app: FastifyInstance,
  handler: OrderHandler,
  placed: Counter,
  limits: PlacementLimits,
): void {
  app.addSchema(orderViewSchema);

  app.post<{ Body: PlaceOrderBody; Headers: { "idempotency-key"?: string } }>(
    "/orders",
    {
      schema: placeOrderSchema,
      onRequest: rateLimits(app, [
        { name: "per client address", max: limits.perClientAddress, windowMs: 60_000, key: (r) => r.ip },
        { name: "per customer", max: limits.perCustomer, windowMs: 60_000, key: (r) => r.principal!.subject },
      ]),
    },
    async (request, reply) => {
      const { shippingAddress, ...rest } = request.body;
      const customer = customerOf(request.principal!, rest);
      const key = request.headers["idempotency-key"];
      const result = await handler.place(
        {
          ...rest,
          ...customer,
          shippingAddress: {
            ...shippingAddress,
            line2: shippingAddress.line2 ?? null,
            region: shippingAddress.region ?? null,
          },
        },
        {
          // A key is the caller's own: another customer's same key is another request.
          idempotencyKey: key === undefined ? undefined : JSON.stringify([request.principal!.subject, key]),
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
    async (request) => {
      const view = await handler.get(
        request.params.id,
        request.query.asOf === undefined ? undefined : instant(request.query.asOf),
      );
      assertActsFor(request.principal, view.customerId);
      return view;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string } }>(
    "/orders/:id/history",
    { schema: orderHistorySchema },
    async (request) => {
      const { after, limit } = request.query;
      const { customerId, events, next } = await handler.history(request.params.id, {
        after: after === undefined ? 0 : whole("querystring/after", after, 0, MAX_VERSION),
        limit:
          limit === undefined ? HISTORY_PAGE.default : whole("querystring/limit", limit, 1, HISTORY_PAGE.max),
      });
      assertActsFor(request.principal, customerId);
      return { orderId: request.params.id, events, next };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/orders/:id/cancel",
    { schema: cancelOrderSchema },
    async (request) => {
      assertActsFor(request.principal, (await handler.get(request.params.id)).customerId);
      const view = await handler.cancel(request.params.id, {
        traceparent: traceparent(request.headers.traceparent),
      });
      request.log.info({ orderId: view.orderId, status: view.status }, "order cancel requested");
      return view;
    },
  );
}

/**
 * Whose order this is. A customer orders for themselves, to the verified email of their token: a
 * body naming another customer or address is refused, so nobody can make the shop mail a stranger.
 * Support and operators place orders on a customer's behalf and name both.
 */
function customerOf(
  principal: Principal,
  body: { customerId?: string | undefined; customerEmail?: string | undefined },
): { customerId: string; customerEmail: string } {
  if (hasRole(principal, "support")) {
    if (body.customerId === undefined || body.customerEmail === undefined)
      throw invalid("body", "must name customerId and customerEmail when staff place an order");
    return { customerId: body.customerId, customerEmail: body.customerEmail };
  }
  if (body.customerId !== undefined && body.customerId !== principal.subject)
    throw new OrderError("ORDER_FORBIDDEN", "customerId must be the customer the token names (or left out)");
  if (principal.email === null)
    throw new OrderError(
      "ORDER_FORBIDDEN",
      "the token carries no verified email to send the order's mails to",
    );
  if (body.customerEmail !== undefined && body.customerEmail.toLowerCase() !== principal.email.toLowerCase())
    throw new OrderError("ORDER_FORBIDDEN", "customerEmail must be the token's verified email (or left out)");
  return { customerId: principal.subject, customerEmail: principal.email };
}

function invalid(path: string, message: string): OrderError {
  return new OrderError("ORDER_INVALID", `${path} ${message}`, { details: [{ path, message }] });
}

/** The largest version Postgres's integer holds. */
const MAX_VERSION = 2 ** 31 - 1;

/** A query parameter that must be a whole number from `min` to `max`, written in plain decimal digits. */
function whole(path: string, value: string, min: number, max: number): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw invalid(path, `must be a whole number from ${min} to ${max}`);
  return n;
}

/** The schema checks the ISO 8601 form; a leap second (23:59:60) passes it but is no instant a clock can name. */
function instant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw invalid("querystring/asOf", "must be a real instant (no leap second)");
  }
  return at;
}

function traceparent(header: string | string[] | undefined): string | null {
  return typeof header === "string" && TRACEPARENT.test(header) ? header : null;
}
