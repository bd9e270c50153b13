import type { Stack } from "@herald/dev-stack";
import pg from "pg";

/** Adds SKUs to the Order catalog and puts plenty of each on Inventory's shelves (the services' own databases). */
export async function addSkus(stack: Stack, skus: readonly string[]): Promise<void> {
  for (const [service, sql] of [
    [
      "order",
      "INSERT INTO catalog_items (sku, name, unit_price_minor, currency) SELECT s, 'Bench item ' || s, 990, 'EUR' FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING",
    ],
    [
      "inventory",
      "INSERT INTO stock (sku, on_hand) SELECT s, 10000000 FROM unnest($1::text[]) AS s ON CONFLICT DO NOTHING",
    ],
  ] as const) {
    const client = new pg.Client({ connectionString: stack.infra.databaseUrls[service] });
    await client.connect();
    try {
      await client.query(sql, [skus]);
    } finally {
      await client.end();
    }
  }
}
