import { SERVICE_NAMES, type Stack } from "@herald/dev-stack";
import type { Client } from "../client.js";

/**
 * Where one order's saga stands in every service, for the message of a test that waited for it in
 * vain: the facts Order recorded, Inventory's reservation, Payment's payments, the facts Analytics
 * read from every topic, and each service's readiness (a consumer that has not joined says so).
 */
export async function sagaTrail(stack: Stack, client: Client, orderId: string): Promise<string> {
  const part = async (name: string, read: () => Promise<unknown>) => {
    try {
      return `${name}: ${JSON.stringify(await read())}`;
    } catch (error) {
      return `${name}: unreadable (${error instanceof Error ? error.message : String(error)})`;
    }
  };
  const parts = await Promise.all([
    part("order history", async () => (await client.history(orderId)).map((event) => event.type)),
    part("reservations", async () => (await client.reservations(orderId)).map((r) => r.status)),
    part("payments", async () =>
      (await client.payments(orderId)).map(({ status, attempts }) => ({ status, attempts })),
    ),
    part("analytics saw", async () =>
      (await client.timeline(orderId)).body?.facts?.map((fact) => `${fact.producer}:${fact.type}`),
    ),
    ...SERVICE_NAMES.map((service) =>
      part(`${service} ready`, async () => {
        const response = await fetch(`${stack.serviceUrl(service)}/health/ready`, {
          signal: AbortSignal.timeout(5_000),
        });
        return { status: response.status, body: await response.json().catch(() => null) };
      }),
    ),
  ]);
  return parts.join("\n  ");
}
