import pg from "pg";
import { StackError } from "./errors.js";
import { uniqueName } from "./names.js";

/** A fresh Postgres schema inside a service's database, for one test or benchmark to own. */
export interface ScratchSchema {
  readonly name: string;
  /** The database URL with this schema as the search_path: for pools and child processes alike. */
  readonly url: string;
  /** Drops the schema and everything in it; close the pools using it first. */
  drop(): Promise<void>;
}

export async function createScratchSchema(
  databaseUrl: string | undefined,
  prefix: string,
): Promise<ScratchSchema> {
  // Services are discovered, so `infra.databaseUrls.<service>` is only known at run time.
  if (!databaseUrl)
    throw new StackError(
      `no database for the scratch schema "${prefix}"`,
      "name a service of this workspace: infra.databaseUrls has one database per services/*/package.json",
    );
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
