import { errorResponseRef, orderIdQuerystring } from "@herald/service-kit";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { findReservations } from "./repository.js";

const stockLine = {
  type: "object",
  required: ["sku", "quantity"],
  properties: { sku: { type: "string" }, quantity: { type: "integer" } },
} as const;

export const reservationSchema = {
  $id: "Reservation",
  type: "object",
  required: ["orderId", "status", "lines", "shortages", "createdAt", "updatedAt"],
  properties: {
    orderId: { type: "string", format: "uuid" },
    status: {
      type: "string",
      enum: ["RESERVED", "FAILED", "RELEASED", "SOLD", "RESTOCKED", "CANCELLED_BEFORE_PLACED"],
    },
    lines: {
      type: "array",
      items: stockLine,
      description:
        "Units asked for (FAILED), held (RESERVED), sold (SOLD) or given back (RELEASED, RESTOCKED)",
    },
    shortages: {
      type: "array",
      description: "The short lines of a FAILED reservation",
      items: {
        type: "object",
        required: ["sku", "requested", "available"],
        properties: {
          sku: { type: "string" },
          requested: { type: "integer" },
          available: { type: "integer" },
        },
      },
    },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
  },
} as const;

const listReservationsSchema = {
  tags: ["reservations"],
  summary: "The reservation of an order (an empty list when the order is unknown here)",
  querystring: orderIdQuerystring,
  response: {
    200: {
      type: "object",
      required: ["items"],
      properties: { items: { type: "array", items: { $ref: "Reservation#" } } },
    },
    400: errorResponseRef,
  },
} as const;

export function registerReservationRoutes(app: FastifyInstance, pool: pg.Pool): void {
  app.addSchema(reservationSchema);
  app.get<{ Querystring: { orderId: string } }>(
    "/reservations",
    { config: { access: "support" }, schema: listReservationsSchema },
    async (request) => ({ items: await findReservations(pool, request.query.orderId) }),
  );
}
