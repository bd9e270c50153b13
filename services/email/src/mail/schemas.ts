import { errorResponseRef, orderIdQuerystring } from "@herald/service-kit";

export const listEmailsSchema = {
  tags: ["emails"],
  summary: "The mails about one order",
  description:
    "Every mail recorded for the order, oldest first, with its Message-ID, status (PENDING, SENT, FAILED) and attempts. An order with no mail yet answers an empty list.",
  querystring: orderIdQuerystring,
  response: {
    200: {
      type: "object",
      required: ["orderId", "emails"],
      properties: {
        orderId: { type: "string" },
        emails: {
          type: "array",
          items: {
            type: "object",
            required: [
              "template",
              "recipient",
              "messageId",
              "status",
              "attempts",
              "createdAt",
              "sentAt",
              "failedAt",
              "lastError",
            ],
            properties: {
              template: { type: "string", enum: ["ORDER_CONFIRMED", "ORDER_CANCELLED", "SALES_DIGEST"] },
              recipient: { type: "string" },
              messageId: { type: "string", description: "derived from the event id and template: stable" },
              status: { type: "string", enum: ["PENDING", "SENT", "FAILED"] },
              attempts: { type: "integer", description: "SMTP attempts made so far" },
              createdAt: { type: "string", format: "date-time" },
              sentAt: { type: ["string", "null"], format: "date-time" },
              failedAt: { type: ["string", "null"], format: "date-time" },
              lastError: { type: ["string", "null"], description: "the last failed attempt's error" },
            },
          },
        },
      },
    },
    400: errorResponseRef,
  },
} as const;
