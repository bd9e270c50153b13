import { assertActsFor, defineService } from "@herald/service-kit";
import { configSpec, manifest } from "./config.js";

/** Counts each customer's orders: a consumer of `orders`, one table, one route. */
export const loyaltyService = defineService({
  manifest,
  description: "Counts each customer's orders.",
  configSpec,
  migrations: [
    {
      id: "loyalty-001-orders",
      sql: "CREATE TABLE loyalty (customer_id text PRIMARY KEY, orders integer NOT NULL)",
    },
  ],
  consumer: {
    topics: ["orders"],
    handler: () => async (event, tx) => {
      if (event.type !== "OrderPlaced") return;
      await tx.query(
        `INSERT INTO loyalty (customer_id, orders) VALUES ($1, 1)
         ON CONFLICT (customer_id) DO UPDATE SET orders = loyalty.orders + 1`,
        [event.data.customerId],
      );
    },
  },
  routes(app, { pool }) {
    app.get<{ Params: { customerId: string } }>("/loyalty/:customerId", async (request) => {
      assertActsFor(request.principal, request.params.customerId, "this customer's count");
      const { rows } = await pool.query<{ orders: number }>(
        "SELECT orders FROM loyalty WHERE customer_id = $1",
        [request.params.customerId],
      );
      return { customerId: request.params.customerId, orders: rows[0]?.orders ?? 0 };
    });
  },
});
