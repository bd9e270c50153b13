import { StackError } from "@herald/dev-stack";
import { ORDER_ADDRESS } from "@herald/events/testing";
import { issueDevelopmentToken } from "@herald/service-kit";
import { poll } from "./poll.js";
import { note } from "./report.js";

/**
 * compose:check's checks through the services' published ports: an order placed and read with a
 * customer's token, refused without one, a staff-only route, and the customer's mail in MailDev.
 */

export interface Customer {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

/** A customer of this run, with a token signed by the development key the services trust by default. */
export async function customerToken(): Promise<Customer> {
  const id = `compose-check-${Date.now()}`;
  const email = `${id}@example.com`;
  return { id, email, token: await issueDevelopmentToken({ subject: id, email, expiresIn: "30m" }) };
}

interface PlacedOrder {
  readonly orderId: string;
  readonly customerEmail: string;
}

/** POST /orders as the customer; their id and email come from the token, not the body. */
export async function placeOrder(port: number, customer: Customer): Promise<PlacedOrder> {
  const response = await fetch(`http://127.0.0.1:${port}/orders`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${customer.token}`,
      "content-type": "application/json",
      "idempotency-key": `compose-check-${Date.now()}`,
    },
    body: JSON.stringify({
      items: [{ sku: "HRL-MUG-BLUE", quantity: 1 }],
      paymentMethodToken: "tok_visa",
      shippingAddress: ORDER_ADDRESS,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { orderId?: string; message?: string };
  if (response.status !== 202 || !body.orderId) {
    throw new StackError(
      `POST /orders answered ${response.status}: ${body.message ?? JSON.stringify(body)}`,
      "see the order container's log (docker compose logs order)",
    );
  }
  note(`order ${body.orderId} accepted (202) for ${customer.id}`);
  return { orderId: body.orderId, customerEmail: customer.email };
}

export async function waitForStatus(
  port: number,
  orderId: string,
  status: string,
  token: string,
): Promise<void> {
  let last = "";
  await poll(
    `order ${orderId} to be ${status}`,
    120_000,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/orders/${orderId}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { status?: string };
      last = body.status ?? `HTTP ${response.status}`;
      return last === status;
    },
    () => `last seen ${last || "nothing"}`,
  );
}

/** The same order without a token: 401. */
export async function checkUnauthenticated(port: number, orderId: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/orders/${orderId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  if (response.status !== 401)
    throw new StackError(
      `GET /orders/:id without a token answered ${response.status}, not 401`,
      "see auth.ts",
    );
}

/** GET /reservations (support and operators only): an operator reads the order's; its customer gets 403. */
export async function checkStaffRoute(port: number, orderId: string, customerToken: string): Promise<void> {
  const operator = await issueDevelopmentToken({ subject: "compose-check-operator", roles: ["operator"] });
  const read = (token: string) =>
    fetch(`http://127.0.0.1:${port}/reservations?orderId=${encodeURIComponent(orderId)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
  const staff = await read(operator);
  const body = (await staff.json()) as { items?: unknown[]; message?: string };
  if (staff.status !== 200 || !Array.isArray(body.items))
    throw new StackError(
      `GET /reservations as an operator answered ${staff.status}: ${body.message ?? JSON.stringify(body)}`,
      "see the inventory container's log (docker compose logs inventory)",
    );
  const customer = await read(customerToken);
  await customer.arrayBuffer();
  if (customer.status !== 403)
    throw new StackError(
      `GET /reservations as a customer answered ${customer.status}, not 403`,
      "see auth.ts",
    );
  note(`operator read ${body.items.length} reservation(s) of the order; the customer got 403`);
}

/** The customer's mail arrived in MailDev. */
export async function waitForMail(port: number, recipient: string): Promise<void> {
  await poll(
    `a mail to ${recipient}`,
    60_000,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/email`, { signal: AbortSignal.timeout(5_000) });
      const mails = (await response.json()) as { to?: { address?: string }[]; subject?: string }[];
      const mail = mails.find((candidate) => candidate.to?.some((to) => to.address === recipient));
      if (mail) note(`mail "${mail.subject ?? ""}" to ${recipient}`);
      return mail !== undefined;
    },
    () => "no mail arrived",
  );
}
