// Generated from schemas/ by `npm run codegen`; do not edit. A unit test fails when this file and the
// schemas disagree.

import type { Schema } from "avsc";
import type { EventType } from "./types.js";

export interface EventSchema {
  /** The Avro full name, `herald.<domain>.<EventType>`. */
  readonly fullName: string;
  /** The folder below `schemas/`: the owning service. */
  readonly domain: string;
  /** Self-contained: the shared types it uses are inlined. */
  readonly schema: Schema;
}

/** Each event's Avro schema, as registered under its subject. */
export const EVENT_SCHEMAS: Readonly<Record<EventType, EventSchema>> = {
  SalesPeriodSummarized: {
    fullName: "herald.analytics.SalesPeriodSummarized",
    domain: "analytics",
    schema: {
      "type": "record",
      "name": "SalesPeriodSummarized",
      "namespace": "herald.analytics",
      "doc": "Sales figures of one closed period, for the operations digest. Keyed by the period id.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "periodId",
          "type": "string",
          "doc": "Id of the period, stable across re-runs (e.g. \"2025-11-23T12:00Z/PT1H\"); the Kafka key."
        },
        {
          "name": "periodStart",
          "type": {
            "type": "long",
            "logicalType": "timestamp-millis"
          },
          "doc": "Start of the period, inclusive, in milliseconds since the Unix epoch (UTC)."
        },
        {
          "name": "periodEnd",
          "type": {
            "type": "long",
            "logicalType": "timestamp-millis"
          },
          "doc": "End of the period, exclusive, in milliseconds since the Unix epoch (UTC)."
        },
        {
          "name": "orderCount",
          "type": "int",
          "doc": "Orders placed in the period."
        },
        {
          "name": "confirmedCount",
          "type": "int",
          "doc": "Orders confirmed in the period."
        },
        {
          "name": "cancelledCount",
          "type": "int",
          "doc": "Orders cancelled in the period."
        },
        {
          "name": "revenue",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "Money",
              "namespace": "herald.common",
              "doc": "An amount of money, exact: integer minor units of one currency.",
              "fields": [
                {
                  "name": "amountMinor",
                  "type": "long",
                  "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
                },
                {
                  "name": "currency",
                  "type": "string",
                  "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
                }
              ]
            }
          },
          "doc": "Total of the orders confirmed in the period minus refunds, one entry per currency; empty when there were none."
        },
        {
          "name": "topSkus",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "SkuSales",
              "doc": "Units of one product sold in a period.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Units sold in confirmed orders of the period."
                }
              ]
            }
          },
          "doc": "Best-selling products of the period by units sold, best first; at most ten."
        }
      ]
    },
  },
  EmailFailed: {
    fullName: "herald.email.EmailFailed",
    domain: "email",
    schema: {
      "type": "record",
      "name": "EmailFailed",
      "namespace": "herald.email",
      "doc": "A mail could not be delivered to the mail server after all retries; it will not be sent.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Order the mail was about; the Kafka key when set. Null for mails about no single order (sales digests)."
        },
        {
          "name": "periodId",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Sales period a digest mail summarised; the Kafka key when orderId is null. Null for order mails."
        },
        {
          "name": "template",
          "type": {
            "type": "enum",
            "name": "EmailTemplate",
            "namespace": "herald.common",
            "doc": "Which mail the email service composed.",
            "symbols": [
              "ORDER_CONFIRMED",
              "ORDER_CANCELLED",
              "SALES_DIGEST"
            ]
          },
          "doc": "Which mail it was."
        },
        {
          "name": "recipient",
          "type": "string",
          "doc": "Address the mail was sent to."
        },
        {
          "name": "error",
          "type": "string",
          "doc": "Why sending failed: the mail server's reply or the connection error."
        }
      ]
    },
  },
  EmailSent: {
    fullName: "herald.email.EmailSent",
    domain: "email",
    schema: {
      "type": "record",
      "name": "EmailSent",
      "namespace": "herald.email",
      "doc": "A mail was accepted by the mail server for delivery.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Order the mail was about; the Kafka key when set. Null for mails about no single order (sales digests)."
        },
        {
          "name": "periodId",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Sales period a digest mail summarised; the Kafka key when orderId is null. Null for order mails."
        },
        {
          "name": "template",
          "type": {
            "type": "enum",
            "name": "EmailTemplate",
            "namespace": "herald.common",
            "doc": "Which mail the email service composed.",
            "symbols": [
              "ORDER_CONFIRMED",
              "ORDER_CANCELLED",
              "SALES_DIGEST"
            ]
          },
          "doc": "Which mail it was."
        },
        {
          "name": "recipient",
          "type": "string",
          "doc": "Address the mail was sent to."
        },
        {
          "name": "messageId",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Message-ID the mail server assigned; null if it gave none."
        }
      ]
    },
  },
  InventoryReleased: {
    fullName: "herald.inventory.InventoryReleased",
    domain: "inventory",
    schema: {
      "type": "record",
      "name": "InventoryReleased",
      "namespace": "herald.inventory",
      "doc": "The stock reserved for an order is available again (the order was cancelled or its payment failed).",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "lines",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "StockLine",
              "namespace": "herald.common",
              "doc": "A quantity of one product held or given back by the inventory.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Number of units; at least 1."
                }
              ]
            }
          },
          "doc": "The released quantities, one line per product."
        }
      ]
    },
  },
  InventoryReservationFailed: {
    fullName: "herald.inventory.InventoryReservationFailed",
    domain: "inventory",
    schema: {
      "type": "record",
      "name": "InventoryReservationFailed",
      "namespace": "herald.inventory",
      "doc": "An order could not be reserved in full, so nothing was reserved for it.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "unavailableSkus",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "UnavailableSku",
              "doc": "A product the inventory could not reserve in the quantity ordered.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "requested",
                  "type": "int",
                  "doc": "Units the order asked for."
                },
                {
                  "name": "available",
                  "type": "int",
                  "doc": "Units that were available; 0 for an unknown product."
                }
              ]
            }
          },
          "doc": "The products that were short; never empty."
        }
      ]
    },
  },
  InventoryReserved: {
    fullName: "herald.inventory.InventoryReserved",
    domain: "inventory",
    schema: {
      "type": "record",
      "name": "InventoryReserved",
      "namespace": "herald.inventory",
      "doc": "Every line of an order is reserved: the stock is held for it until the order is confirmed or cancelled.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "lines",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "StockLine",
              "namespace": "herald.common",
              "doc": "A quantity of one product held or given back by the inventory.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Number of units; at least 1."
                }
              ]
            }
          },
          "doc": "The reserved quantities, one line per product."
        }
      ]
    },
  },
  OrderCancelled: {
    fullName: "herald.order.OrderCancelled",
    domain: "order",
    schema: {
      "type": "record",
      "name": "OrderCancelled",
      "namespace": "herald.order",
      "doc": "The order will not be fulfilled; reserved stock is released and a payment taken is refunded. Carries what the cancellation mail needs.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "customerId",
          "type": "string",
          "doc": "Id of the customer who placed the order."
        },
        {
          "name": "customerEmail",
          "type": "string",
          "doc": "Address the cancellation notice goes to."
        },
        {
          "name": "lines",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "OrderLine",
              "namespace": "herald.common",
              "doc": "One line of an order as priced when the order was placed.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Number of units ordered; at least 1."
                },
                {
                  "name": "unitPrice",
                  "type": {
                    "type": "record",
                    "name": "Money",
                    "namespace": "herald.common",
                    "doc": "An amount of money, exact: integer minor units of one currency.",
                    "fields": [
                      {
                        "name": "amountMinor",
                        "type": "long",
                        "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
                      },
                      {
                        "name": "currency",
                        "type": "string",
                        "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
                      }
                    ]
                  },
                  "doc": "Price of one unit, from the order service's catalog at the time of the order."
                }
              ]
            }
          },
          "doc": "What was ordered, as priced when the order was placed."
        },
        {
          "name": "total",
          "type": "herald.common.Money",
          "doc": "Order total as placed (refunded if it was charged)."
        },
        {
          "name": "reason",
          "type": {
            "type": "enum",
            "name": "CancellationReason",
            "doc": "Why an order was cancelled. Readers that do not know a newer symbol read it as OTHER.",
            "symbols": [
              "OUT_OF_STOCK",
              "PAYMENT_FAILED",
              "CUSTOMER_REQUEST",
              "OTHER"
            ],
            "default": "OTHER"
          },
          "doc": "Why the order was cancelled."
        },
        {
          "name": "detail",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Human-readable detail for the customer and support (e.g. which products ran out); null when the reason says it all."
        }
      ]
    },
  },
  OrderConfirmed: {
    fullName: "herald.order.OrderConfirmed",
    domain: "order",
    schema: {
      "type": "record",
      "name": "OrderConfirmed",
      "namespace": "herald.order",
      "doc": "Stock is reserved and payment taken: the order will be fulfilled. Carries what the confirmation mail needs.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "customerId",
          "type": "string",
          "doc": "Id of the customer who placed the order."
        },
        {
          "name": "customerEmail",
          "type": "string",
          "doc": "Address the confirmation goes to."
        },
        {
          "name": "lines",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "OrderLine",
              "namespace": "herald.common",
              "doc": "One line of an order as priced when the order was placed.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Number of units ordered; at least 1."
                },
                {
                  "name": "unitPrice",
                  "type": {
                    "type": "record",
                    "name": "Money",
                    "namespace": "herald.common",
                    "doc": "An amount of money, exact: integer minor units of one currency.",
                    "fields": [
                      {
                        "name": "amountMinor",
                        "type": "long",
                        "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
                      },
                      {
                        "name": "currency",
                        "type": "string",
                        "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
                      }
                    ]
                  },
                  "doc": "Price of one unit, from the order service's catalog at the time of the order."
                }
              ]
            }
          },
          "doc": "What was ordered, as priced when the order was placed."
        },
        {
          "name": "total",
          "type": "herald.common.Money",
          "doc": "Amount charged for the order."
        }
      ]
    },
  },
  OrderPlaced: {
    fullName: "herald.order.OrderPlaced",
    domain: "order",
    schema: {
      "type": "record",
      "name": "OrderPlaced",
      "namespace": "herald.order",
      "doc": "A customer placed an order: validated and priced from the order service's catalog, not yet reserved or paid.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "customerId",
          "type": "string",
          "doc": "Id of the customer who placed the order."
        },
        {
          "name": "customerEmail",
          "type": "string",
          "doc": "Address the customer's mails about this order go to."
        },
        {
          "name": "lines",
          "type": {
            "type": "array",
            "items": {
              "type": "record",
              "name": "OrderLine",
              "namespace": "herald.common",
              "doc": "One line of an order as priced when the order was placed.",
              "fields": [
                {
                  "name": "sku",
                  "type": "string",
                  "doc": "Stock keeping unit of the product."
                },
                {
                  "name": "quantity",
                  "type": "int",
                  "doc": "Number of units ordered; at least 1."
                },
                {
                  "name": "unitPrice",
                  "type": {
                    "type": "record",
                    "name": "Money",
                    "namespace": "herald.common",
                    "doc": "An amount of money, exact: integer minor units of one currency.",
                    "fields": [
                      {
                        "name": "amountMinor",
                        "type": "long",
                        "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
                      },
                      {
                        "name": "currency",
                        "type": "string",
                        "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
                      }
                    ]
                  },
                  "doc": "Price of one unit, from the order service's catalog at the time of the order."
                }
              ]
            }
          },
          "doc": "What was ordered, one line per product; never empty."
        },
        {
          "name": "total",
          "type": "herald.common.Money",
          "doc": "Sum of quantity times unit price over all lines: the amount to charge."
        },
        {
          "name": "paymentMethodToken",
          "type": "string",
          "doc": "Token of the payment method to charge (e.g. \"tok_visa\"); card data never enters the system."
        },
        {
          "name": "shippingAddress",
          "type": {
            "type": "record",
            "name": "ShippingAddress",
            "doc": "Where the order is delivered.",
            "fields": [
              {
                "name": "recipientName",
                "type": "string",
                "doc": "Name of the person receiving the parcel."
              },
              {
                "name": "line1",
                "type": "string",
                "doc": "Street and number."
              },
              {
                "name": "line2",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "Apartment, floor or other detail; null when there is none."
              },
              {
                "name": "city",
                "type": "string",
                "doc": "City or town."
              },
              {
                "name": "postalCode",
                "type": "string",
                "doc": "Postal code as written in the destination country."
              },
              {
                "name": "region",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "State, province or region, where the country uses one."
              },
              {
                "name": "country",
                "type": "string",
                "doc": "ISO 3166-1 alpha-2 country code, e.g. \"DE\"."
              }
            ]
          },
          "doc": "Where to deliver."
        }
      ]
    },
  },
  PaymentFailed: {
    fullName: "herald.payment.PaymentFailed",
    domain: "payment",
    schema: {
      "type": "record",
      "name": "PaymentFailed",
      "namespace": "herald.payment",
      "doc": "Charging an order failed for good; nothing was charged.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "paymentId",
          "type": "string",
          "doc": "Id of the failed payment attempt."
        },
        {
          "name": "amount",
          "type": {
            "type": "record",
            "name": "Money",
            "namespace": "herald.common",
            "doc": "An amount of money, exact: integer minor units of one currency.",
            "fields": [
              {
                "name": "amountMinor",
                "type": "long",
                "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
              },
              {
                "name": "currency",
                "type": "string",
                "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
              }
            ]
          },
          "doc": "Amount that could not be charged."
        },
        {
          "name": "reason",
          "type": {
            "type": "enum",
            "name": "PaymentFailureReason",
            "doc": "Why a charge failed. Readers that do not know a newer symbol read it as OTHER.",
            "symbols": [
              "CARD_DECLINED",
              "INSUFFICIENT_FUNDS",
              "CARD_EXPIRED",
              "INVALID_PAYMENT_METHOD",
              "OTHER"
            ],
            "default": "OTHER"
          },
          "doc": "Why the charge failed."
        },
        {
          "name": "detail",
          "type": [
            "null",
            "string"
          ],
          "default": null,
          "doc": "Provider message for support; null when there is none. Never contains card data."
        }
      ]
    },
  },
  PaymentProcessed: {
    fullName: "herald.payment.PaymentProcessed",
    domain: "payment",
    schema: {
      "type": "record",
      "name": "PaymentProcessed",
      "namespace": "herald.payment",
      "doc": "An order's total was charged to its payment method.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "paymentId",
          "type": "string",
          "doc": "Id of the payment; refunds refer to it."
        },
        {
          "name": "amount",
          "type": {
            "type": "record",
            "name": "Money",
            "namespace": "herald.common",
            "doc": "An amount of money, exact: integer minor units of one currency.",
            "fields": [
              {
                "name": "amountMinor",
                "type": "long",
                "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
              },
              {
                "name": "currency",
                "type": "string",
                "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
              }
            ]
          },
          "doc": "Amount charged."
        }
      ]
    },
  },
  PaymentRefunded: {
    fullName: "herald.payment.PaymentRefunded",
    domain: "payment",
    schema: {
      "type": "record",
      "name": "PaymentRefunded",
      "namespace": "herald.payment",
      "doc": "A processed payment was paid back in full because its order was cancelled.",
      "fields": [
        {
          "name": "metadata",
          "type": {
            "type": "record",
            "name": "Metadata",
            "namespace": "herald.common",
            "doc": "Who announced an event, when, and what led to it. The first field of every event.",
            "fields": [
              {
                "name": "eventId",
                "type": {
                  "type": "string",
                  "logicalType": "uuid"
                },
                "doc": "Unique id of this event (UUID v4); consumers deduplicate on it."
              },
              {
                "name": "occurredAt",
                "type": {
                  "type": "long",
                  "logicalType": "timestamp-millis"
                },
                "doc": "When the fact happened, in milliseconds since the Unix epoch (UTC)."
              },
              {
                "name": "correlationId",
                "type": "string",
                "doc": "Id of the saga this event belongs to: set once where the request entered the system and copied to every event that follows from it."
              },
              {
                "name": "causationId",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "eventId of the event that caused this one; null when a request or a timer caused it."
              },
              {
                "name": "producer",
                "type": "string",
                "doc": "Name of the service that produced the event, e.g. \"order\"."
              },
              {
                "name": "traceparent",
                "type": [
                  "null",
                  "string"
                ],
                "default": null,
                "doc": "W3C Trace Context traceparent of the producing span; null when tracing is off."
              }
            ]
          },
          "doc": "Event id, time, correlation and causation."
        },
        {
          "name": "orderId",
          "type": "string",
          "doc": "Id of the order; the Kafka key of every event about it."
        },
        {
          "name": "paymentId",
          "type": "string",
          "doc": "Id of the payment that was refunded."
        },
        {
          "name": "amount",
          "type": {
            "type": "record",
            "name": "Money",
            "namespace": "herald.common",
            "doc": "An amount of money, exact: integer minor units of one currency.",
            "fields": [
              {
                "name": "amountMinor",
                "type": "long",
                "doc": "Amount in the currency's minor unit (cents for EUR and USD, yen for JPY)."
              },
              {
                "name": "currency",
                "type": "string",
                "doc": "ISO 4217 alphabetic currency code, upper case, e.g. \"EUR\"."
              }
            ]
          },
          "doc": "Amount paid back."
        }
      ]
    },
  },
};
