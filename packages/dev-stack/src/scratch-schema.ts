import pg from "pg";
import { uniqueName } from "./names.js";

/** A fresh Postgres schema inside a service's database, for one test or benchmark to own. */
export interface ScratchSchema {
  readonly name: string;
  /** The database URL with this schema as the search_path: for pools and child processes alike. */
  readonly url: string;
  /** Drops the schema and everything in it; close the pools using it first. */
  drop(): Promise<void>;
}

export async function createScratchSchema(databaseUrl: string, prefix: string): Promise<ScratchSchema> {
  const name = uniqueName(prefix);
  await runAs(databaseUrl, `CREATE SCHEMA ${pg.escapeIdentifier(name)}`);
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    drop: () => runAs(databaseUrl, `DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`),
  };
}

async function runAs(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
