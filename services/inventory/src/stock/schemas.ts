import { errorResponseRef, errorResponses } from "@herald/service-kit";

/** Stock is counted in whole units; more than a billion of anything is a typo, not a delivery. */
export const MAX_ON_HAND = 1_000_000_000;

export const skuParams = {
  type: "object",
  additionalProperties: false,
  required: ["sku"],
  properties: {
    sku: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
  },
} as const;

export const stockLevelSchema = {
  $id: "StockLevel",
  type: "object",
  required: ["sku", "onHand", "reserved", "available", "version", "updatedAt"],
  properties: {
    sku: { type: "string" },
    onHand: { type: "integer", description: "Units on the shelf, reserved ones included" },
    reserved: { type: "integer", description: "Units held for orders not yet confirmed or cancelled" },
    available: { type: "integer", description: "onHand - reserved: what a new order can reserve" },
    version: {
      type: "integer",
      description: "Goes up with every change; the ETag, and what PUT's If-Match names",
    },
    updatedAt: { type: "string", format: "date-time" },
  },
} as const;
const stockLevel = { $ref: "StockLevel#" } as const;

export const listStockSchema = {
  tags: ["stock"],
  summary: "Stock of every SKU",
  response: {
    200: {
      type: "object",
      required: ["items"],
      properties: { items: { type: "array", items: stockLevel } },
    },
  },
} as const;

export const getStockSchema = {
  tags: ["stock"],
  summary: "Stock of one SKU",
  params: skuParams,
  response: { 200: stockLevel, 400: errorResponseRef, 404: errorResponseRef },
} as const;

export const setStockSchema = {
  tags: ["stock"],
  summary: "Set the units on hand of a SKU (a count correction)",
  description:
    "Needs `If-Match` with the ETag of the level it was computed from (428 without; 412 when the SKU changed since: read it again). Sets on hand to `onHand`, an integer from 0 to 1,000,000,000; it may never go below the units reserved (409). Unknown SKU: 404. For deliveries, POST a delta to /stock/{sku}/adjustments instead.",
  params: skuParams,
  headers: {
    type: "object",
    properties: { "if-match": { type: "string", description: 'The ETag from GET /stock/{sku}, e.g. "7"' } },
  },
  body: {
    type: "object",
    additionalProperties: false,
    required: ["onHand"],
    properties: { onHand: { type: "integer", minimum: 0, maximum: MAX_ON_HAND } },
  },
  response: {
    200: stockLevel,
    ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415, 428),
  },
} as const;

export const adjustStockSchema = {
  tags: ["stock"],
  summary: "Add units on hand (a delivery) or take them away (a write-off)",
  description:
    "Adds `delta` (an integer, not 0) to on hand, whatever changed since you looked: deliveries never race the saga. On hand may never go below the units reserved (409) nor above 1,000,000,000 (422). Unknown SKU: 404.",
  params: skuParams,
  body: {
    type: "object",
    additionalProperties: false,
    required: ["delta"],
    properties: {
      delta: { type: "integer", minimum: -MAX_ON_HAND, maximum: MAX_ON_HAND, not: { const: 0 } },
    },
  },
  response: {
    200: stockLevel,
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
} as const;
