import { randomUUID } from "node:crypto";
import { type System, waitFor } from "@herald/dev-stack/testing";
import { ORDER_ADDRESS } from "@herald/events/testing";
import { testTokens } from "@herald/service-kit/testing";

export const TERMINAL = ["CONFIRMED", "CANCELLED"] as const;

export interface OrderView {
  orderId: string;
  status: string;
  cancellation?: { reason: string; detail: string | null };
}

export interface PaymentView {
  paymentId: string;
  status: string;
  attempts: number;
  amount: { amountMinor: number; currency: string };
  refund: { status: string; attempts: number } | null;
}

export interface EmailView {
  template: string;
  recipient: string;
  messageId: string;
  status: string;
}

/** A mail as MailDev's REST API shows it; Herald's mails carry `x-herald-template` and `x-herald-event-id`. */
export interface ReceivedMail {
  to: { address: string }[];
  subject: string;
  messageId?: string;
  /** When MailDev received it. */
  time?: string;
  headers: Record<string, string>;
}

export interface StockLevel {
  sku: string;
  version: number;
  onHand: number;
  reserved: number;
  available: number;
}

/** A customer's order as the README's walkthrough places it; `email` should be unique per test. */
export function orderRequest(
  options: { email?: string; token?: string; items?: { sku: string; quantity: number }[] } = {},
) {
  return {
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    customerEmail: options.email ?? `e2e-${randomUUID()}@example.com`,
    items: options.items ?? [
      { sku: "HRL-MUG-BLUE", quantity: 2 },
      { sku: "HRL-TEE-BLACK-M", quantity: 1 },
    ],
    paymentMethodToken: options.token ?? "tok_visa",
    shippingAddress: ORDER_ADDRESS,
  };
}

/**
 * Typed calls to the services' HTTP APIs, as their users make them (shared system or a private
 * stack): a customer places, reads and cancels an order with their own token; support reads the
 * payments, mails and reservations behind it; an operator reads analytics and changes stock.
 */
export async function createClient(system: Pick<System, "url">) {
  const support = await testTokens.staff("support");
  const operator = await testTokens.staff("operator");
  /** The token of the customer who placed each order this client placed. */
  const owners = new Map<string, string>();

  async function call<T>(
    url: string,
    token: string | null,
    init: RequestInit = {},
  ): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set("authorization", `Bearer ${token}`);
    const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
  const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  /** The owner's token for an order this client placed; support's for any other. */
  const tokenFor = (orderId: string) => owners.get(orderId) ?? support;

  const client = {
    /** Places the order as the customer it names (a token for its customerId and customerEmail); `headers` e.g. a traceparent. */
    async place(
      body: { customerId: string; customerEmail: string },
      idempotencyKey?: string,
      headers: Record<string, string> = {},
    ) {
      const token = await testTokens.customer(body.customerId, body.customerEmail);
      const placed = await call<{ orderId: string; status: string }>(
        `${system.url("order")}/orders`,
        token,
        json(body, { ...headers, ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) }),
      );
      if (placed.body?.orderId) owners.set(placed.body.orderId, token);
      return placed;
    },
    order: async (orderId: string) =>
      (await call<OrderView>(`${system.url("order")}/orders/${orderId}`, tokenFor(orderId))).body,
    /** The facts the Order service recorded for the order (its event-sourced history), oldest first. */
    history: async (orderId: string) =>
      (
        await call<{ events: { version: number; type: string; data: { metadata: { eventId: string } } }[] }>(
          `${system.url("order")}/orders/${orderId}/history`,
          tokenFor(orderId),
        )
      ).body.events,
    cancel: (orderId: string) =>
      call<OrderView>(`${system.url("order")}/orders/${orderId}/cancel`, tokenFor(orderId), {
        method: "POST",
      }),
    payments: async (orderId: string) =>
      (
        await call<{ payments: PaymentView[] }>(
          `${system.url("payment")}/payments?orderId=${orderId}`,
          support,
        )
      ).body.payments,
    emails: async (orderId: string) =>
      (await call<{ emails: EmailView[] }>(`${system.url("email")}/emails?orderId=${orderId}`, support)).body
        .emails,
    stock: async (sku: string) =>
      (await call<StockLevel>(`${system.url("inventory")}/stock/${sku}`, null)).body,
    reservations: async (orderId: string) =>
      (
        await call<{ items: { status: string; lines: { sku: string; quantity: number }[] }[] }>(
          `${system.url("inventory")}/reservations?orderId=${orderId}`,
          support,
        )
      ).body.items,
    /** Every mail MailDev holds. */
    mails: async (mailApiUrl: string) => (await call<ReceivedMail[]>(`${mailApiUrl}/email`, null)).body,
    /** Mails MailDev received for `recipient`. */
    async mailsTo(mailApiUrl: string, recipient: string) {
      const mails = await client.mails(mailApiUrl);
      return mails.filter((mail) => mail.to.some((to) => to.address === recipient));
    },
    /** Waits until Inventory shows the order's reservation in `status` (it moves after the order's own status does). */
    reservationIn: (orderId: string, status: string) =>
      eventually(async () => {
        const [reservation] = await client.reservations(orderId);
        return reservation?.status === status ? reservation : undefined;
      }),
    /** Sets on hand as an operator correcting a count: If-Match from a fresh read (412 if it moved meanwhile). */
    async setOnHand(sku: string, onHand: number) {
      const level = await client.stock(sku);
      return call<StockLevel>(`${system.url("inventory")}/stock/${sku}`, operator, {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": `"${level.version}"` },
        body: JSON.stringify({ onHand }),
      });
    },
    /** A delivery (or a write-off, negative): commutes with everything else changing the SKU. */
    adjustStock: (sku: string, delta: number) =>
      call<StockLevel>(`${system.url("inventory")}/stock/${sku}/adjustments`, operator, json({ delta })),
    timeline: (orderId: string) =>
      call<{ facts: { type: string; producer: string; traceId: string | null; traceUrl: string | null }[] }>(
        `${system.url("analytics")}/analytics/orders/${orderId}/timeline`,
        operator,
      ),
    /** Waits until the order is CONFIRMED or CANCELLED and returns it. */
    async settled(orderId: string, timeoutMs = 60_000): Promise<OrderView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const order = await client.order(orderId).catch(() => undefined);
        if (order && (TERMINAL as readonly string[]).includes(order.status)) return order;
        if (Date.now() > deadline) throw new Error(`order ${orderId} is still ${order?.status ?? "unknown"}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /**
     * Puts plenty of every used SKU on the shelf, so repeated runs on one database never run dry.
     * Only a SKU running low is topped up, by a delivery: it adds to whatever a test elsewhere on
     * the shared system is doing with that SKU's stock right now.
     */
    async restock(skus: readonly string[], available = 100_000): Promise<void> {
      for (const sku of skus) {
        const level = await client.stock(sku);
        if (level.available >= available / 2) continue;
        const { status } = await client.adjustStock(sku, available - level.available);
        if (status !== 200) throw new Error(`restocking ${sku} answered ${status}`);
      }
    },
  };
  return client;
}

export type Client = Awaited<ReturnType<typeof createClient>>;

/** Polls `probe` until it returns something other than undefined (a failed read counts as not yet). */
export function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return waitFor("the system to get there", probe, timeoutMs, 100);
}
