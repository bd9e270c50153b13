import pg from "pg";
import type { Component } from "./component.js";
import type { StackOptions } from "./config.js";
import { StackError } from "./errors.js";
import { type DatabaseLogin, databaseLogin, SERVICE_NAMES } from "./services.js";

/** Every login the stack provisions: one per service, plus the schema registry's own store. */
export function stackLogins(): DatabaseLogin[] {
  return [...SERVICE_NAMES.map((service) => databaseLogin(service)), databaseLogin("registry")];
}

/**
 * Uses an existing Postgres server (the machine's, or one named by POSTGRES_ADMIN_URL) and makes
 * sure each login has its own database that no other role may connect to. Idempotent.
 */
export function postgresComponent(options: StackOptions): Component {
  const target = new URL(options.postgresAdminUrl);
  const where = `${target.hostname}:${target.port || 5432}`;
  const connectAdmin = async () => {
    const client = new pg.Client({
      connectionString: options.postgresAdminUrl,
      connectionTimeoutMillis: 5_000,
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw new StackError(
        `Postgres is not reachable as a superuser at ${where}: ${(error as Error).message}`,
        "start a PostgreSQL 15+ server there, or set POSTGRES_ADMIN_URL to a superuser connection URL",
        { cause: error },
      );
    }
  };
  return {
    name: "postgres",
    async up() {
      const admin = await connectAdmin();
      try {
        for (const login of stackLogins()) await provision(admin, login);
      } finally {
        await admin.end();
      }
      return false;
    },
    async down() {
      return false;
    },
    async status() {
      try {
        const admin = await connectAdmin();
        await admin.end();
        return {
          name: "postgres",
          state: "external",
          detail: `${where}, databases ${stackLogins()
            .map((l) => l.database)
            .join(", ")}`,
        };
      } catch (error) {
        return { name: "postgres", state: "stopped", detail: (error as Error).message };
      }
    },
  };
}

async function provision(admin: pg.Client, login: DatabaseLogin): Promise<void> {
  const role = pg.escapeIdentifier(login.role);
  const database = pg.escapeIdentifier(login.database);
  const password = pg.escapeLiteral(login.password);
  const roleExists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [login.role]);
  await admin.query(
    roleExists.rowCount
      ? `ALTER ROLE ${role} WITH LOGIN PASSWORD ${password}`
      : `CREATE ROLE ${role} WITH LOGIN PASSWORD ${password}`,
  );
  const databaseExists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [login.database]);
  if (!databaseExists.rowCount) await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
  await admin.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
  await admin.query(`GRANT ALL ON DATABASE ${database} TO ${role}`);
}
