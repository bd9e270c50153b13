import { errorResponses, safeString } from "@herald/service-kit";
import { MAX_LINES, MAX_QUANTITY } from "./domain.js";

const nullableText = (maxLength: number) => ({ ...safeString(maxLength), type: ["string", "null"] }) as const;

export const moneySchema = {
  $id: "Money",
  type: "object",
  required: ["amountMinor", "currency"],
  properties: {
    amountMinor: { type: "integer", description: "Integer amount in the currency's minor unit (cents)" },
    currency: { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217 code" },
  },
} as const;
const money = { $ref: "Money#" } as const;

const shippingAddress = {
  type: "object",
  additionalProperties: false,
  required: ["recipientName", "line1", "city", "postalCode", "country"],
  properties: {
    recipientName: safeString(200),
    line1: safeString(200),
    line2: nullableText(200),
    city: safeString(100),
    postalCode: safeString(20),
    region: nullableText(100),
    country: { type: "string", pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" },
  },
} as const;

export const placeOrderBody = {
  type: "object",
  additionalProperties: false,
  required: ["items", "paymentMethodToken", "shippingAddress"],
  properties: {
    customerId: {
      ...safeString(100),
      description: "The token's subject (the default); staff placing an order for a customer name them",
    },
    customerEmail: {
      type: "string",
      format: "email",
      maxLength: 254,
      description: "The token's verified email (the default); staff placing an order for a customer name it",
    },
    items: {
      type: "array",
      minItems: 1,
      maxItems: MAX_LINES,
      description: "One line per SKU; prices come from the catalog",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["sku", "quantity"],
        properties: {
          sku: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
          quantity: { type: "integer", minimum: 1, maximum: MAX_QUANTITY },
        },
      },
    },
    paymentMethodToken: {
      type: "string",
      pattern: "^tok_[A-Za-z0-9_]{1,64}$",
      description: "A payment token such as tok_visa; never card data",
    },
    shippingAddress,
  },
} as const;

export const idempotencyHeaders = {
  type: "object",
  properties: {
    "idempotency-key": {
      type: "string",
      minLength: 1,
      maxLength: 255,
      pattern: "^[\\x21-\\x7E]+$",
      description: "Retries with the same key and body get the first response; a different body is 422",
    },
  },
} as const;

export const orderIdParams = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  properties: { id: { type: "string", format: "uuid" } },
} as const;

export const orderViewSchema = {
  $id: "OrderView",
  type: "object",
  required: [
    "orderId",
    "status",
    "version",
    "customerId",
    "customerEmail",
    "lines",
    "total",
    "shippingAddress",
    "placedAt",
    "updatedAt",
  ],
  properties: {
    orderId: { type: "string", format: "uuid" },
    status: { type: "string", enum: ["PLACED", "CONFIRMED", "CANCELLED"] },
    version: { type: "integer", description: "Number of events in the order's history" },
    customerId: { type: "string" },
    customerEmail: { type: "string" },
    lines: {
      type: "array",
      items: {
        type: "object",
        required: ["sku", "quantity", "unitPrice", "lineTotal"],
        properties: {
          sku: { type: "string" },
          quantity: { type: "integer" },
          unitPrice: money,
          lineTotal: money,
        },
      },
    },
    total: money,
    shippingAddress: {
      type: "object",
      properties: {
        recipientName: { type: "string" },
        line1: { type: "string" },
        line2: { type: ["string", "null"] },
        city: { type: "string" },
        postalCode: { type: "string" },
        region: { type: ["string", "null"] },
        country: { type: "string" },
      },
    },
    placedAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    confirmedAt: { type: "string", format: "date-time" },
    cancellation: {
      type: "object",
      required: ["reason", "detail", "cancelledAt"],
      properties: {
        reason: { type: "string", enum: ["OUT_OF_STOCK", "PAYMENT_FAILED", "CUSTOMER_REQUEST", "OTHER"] },
        detail: { type: ["string", "null"] },
        cancelledAt: { type: "string", format: "date-time" },
      },
    },
  },
} as const;
const orderView = { $ref: "OrderView#" } as const;

export const placeOrderSchema = {
  tags: ["orders"],
  summary: "Place an order",
  description:
    "Validates the order, prices it from the catalog and records OrderPlaced; inventory and payment follow asynchronously. Poll the Location for the outcome.",
  headers: idempotencyHeaders,
  body: placeOrderBody,
  response: {
    202: {
      type: "object",
      required: ["orderId", "status", "total"],
      properties: { orderId: { type: "string", format: "uuid" }, status: { type: "string" }, total: money },
    },
    ...errorResponses(400, 401, 403, 413, 415, 422, 429),
  },
} as const;

export const getOrderSchema = {
  tags: ["orders"],
  summary: "The order's current state, or its state at `asOf`",
  params: orderIdParams,
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: {
      asOf: {
        type: "string",
        format: "date-time",
        description:
          "ISO 8601 instant; the answer folds the events the database had recorded by then (leap seconds are refused)",
      },
    },
  },
  response: {
    200: orderView,
    ...errorResponses(400, 401, 403, 404),
  },
} as const;

export const orderHistorySchema = {
  tags: ["orders"],
  summary: "The order's events, oldest first, a page at a time (the payment token redacted)",
  params: orderIdParams,
  querystring: {
    type: "object",
    additionalProperties: false,
    properties: {
      after: {
        type: "string",
        description:
          "the page starts after this version (default 0: from the first event); the last page's `next`",
      },
      limit: { type: "string", description: "events per page, 1 to 1000 (default 100)" },
    },
  },
  response: {
    200: {
      type: "object",
      required: ["orderId", "events", "next"],
      properties: {
        orderId: { type: "string" },
        events: {
          type: "array",
          items: {
            type: "object",
            required: ["version", "type", "occurredAt", "recordedAt", "data"],
            properties: {
              version: { type: "integer" },
              type: { type: "string" },
              occurredAt: { type: "string", format: "date-time" },
              recordedAt: { type: "string", format: "date-time" },
              data: { type: "object", additionalProperties: true },
            },
          },
        },
        next: {
          type: ["integer", "null"],
          description: "`after` for the next page; null when this page ends the stream",
        },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
} as const;

export const cancelOrderSchema = {
  tags: ["orders"],
  summary: "Cancel the order on the customer's request",
  description:
    "Cancels a placed or a confirmed order (a confirmed one is refunded and restocked by the saga). Idempotent: cancelling a cancelled order returns it unchanged.",
  params: orderIdParams,
  response: {
    200: orderView,
    ...errorResponses(400, 401, 403, 404),
  },
} as const;
