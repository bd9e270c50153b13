import type pg from "pg";

export interface CatalogItem {
  readonly sku: string;
  readonly name: string;
  readonly unitPrice: { readonly amountMinor: number; readonly currency: string };
}

interface Row {
  sku: string;
  name: string;
  unit_price_minor: string;
  currency: string;
}

const toItem = (row: Row): CatalogItem => ({
  sku: row.sku,
  name: row.name,
  unitPrice: { amountMinor: Number(row.unit_price_minor), currency: row.currency },
});

/** The service's own price list: orders are priced from here, never from the client. */
export async function listCatalog(db: pg.ClientBase | pg.Pool): Promise<CatalogItem[]> {
  const { rows } = await db.query<Row>(
    "SELECT sku, name, unit_price_minor, currency FROM catalog_items WHERE active ORDER BY sku",
  );
  return rows.map(toItem);
}

/** The active items among `skus`, by SKU; a SKU missing from the map is unknown. */
export async function findCatalogItems(
  db: pg.ClientBase | pg.Pool,
  skus: readonly string[],
): Promise<Map<string, CatalogItem>> {
  const { rows } = await db.query<Row>(
    "SELECT sku, name, unit_price_minor, currency FROM catalog_items WHERE active AND sku = ANY($1::text[])",
    [skus],
  );
  return new Map(rows.map((row) => [row.sku, toItem(row)]));
}
