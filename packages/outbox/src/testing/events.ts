import { createMetadata, type EventOf } from "@herald/events";

/** A valid OrderPlaced for `orderId`, with a fresh event id. */
export function orderPlaced(orderId: string, sequence = 0): EventOf<"OrderPlaced"> {
  return {
    type: "OrderPlaced",
    data: {
      metadata: createMetadata({ producer: "order" }),
      orderId,
      customerId: `cus_${sequence}`,
      customerEmail: "ada@example.com",
      lines: [{ sku: "SKU-MUG", quantity: 2, unitPrice: { amountMinor: 850, currency: "EUR" } }],
      total: { amountMinor: 1700, currency: "EUR" },
      paymentMethodToken: "tok_visa",
      shippingAddress: {
        recipientName: "Ada Lovelace",
        line1: "12 St James's Square",
        line2: null,
        city: "London",
        postalCode: "SW1Y 4JH",
        region: null,
        country: "GB",
      },
    },
  };
}
