import { errorResponseRef, orderIdQuerystring } from "@herald/service-kit";

const money = {
  type: "object",
  required: ["amountMinor", "currency"],
  properties: {
    amountMinor: { type: "integer", description: "Integer amount in the currency's minor unit (cents)" },
    currency: { type: "string", description: "ISO 4217 code" },
  },
} as const;
const instant = { type: "string", format: "date-time" } as const;
const nullableInstant = { type: ["string", "null"], format: "date-time" } as const;

export const paymentViewSchema = {
  $id: "PaymentView",
  type: "object",
  required: [
    "paymentId",
    "orderId",
    "status",
    "amount",
    "attempts",
    "failure",
    "refund",
    "requestedAt",
    "settledAt",
    "updatedAt",
  ],
  properties: {
    paymentId: { type: "string", format: "uuid" },
    orderId: { type: "string", format: "uuid" },
    status: {
      type: "string",
      enum: ["PENDING", "PROCESSED", "FAILED", "VOIDED", "REFUNDED"],
      description:
        "PENDING: being charged; PROCESSED: charged; FAILED: declined; VOIDED: cancelled before any charge; REFUNDED: charged and paid back",
    },
    amount: money,
    attempts: { type: "integer", description: "Gateway calls made for the charge, retries included" },
    failure: {
      type: ["object", "null"],
      required: ["reason", "detail"],
      properties: { reason: { type: "string" }, detail: { type: ["string", "null"] } },
    },
    refund: {
      type: ["object", "null"],
      required: ["status", "attempts", "requestedAt", "refundedAt"],
      properties: {
        status: { type: "string", enum: ["PENDING", "REFUNDED"] },
        attempts: { type: "integer" },
        requestedAt: instant,
        refundedAt: nullableInstant,
      },
    },
    requestedAt: instant,
    settledAt: nullableInstant,
    updatedAt: instant,
  },
} as const;
const paymentView = { $ref: "PaymentView#" } as const;

export const listPaymentsSchema = {
  tags: ["payments"],
  summary: "The payments of an order (at most one: an order is charged once)",
  querystring: orderIdQuerystring,
  response: {
    200: {
      type: "object",
      required: ["orderId", "payments"],
      properties: { orderId: { type: "string" }, payments: { type: "array", items: paymentView } },
    },
    400: errorResponseRef,
  },
} as const;

export const getPaymentSchema = {
  tags: ["payments"],
  summary: "One payment by its id",
  params: {
    type: "object",
    additionalProperties: false,
    required: ["id"],
    properties: { id: { type: "string", format: "uuid" } },
  },
  response: { 200: paymentView, 400: errorResponseRef, 404: errorResponseRef },
} as const;
