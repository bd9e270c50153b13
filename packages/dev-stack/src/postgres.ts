import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { type Component, daemonComponent } from "./component.js";
import type { StackOptions } from "./config.js";
import { StackError } from "./errors.js";
import { type DatabaseLogin, databaseLogin } from "./services.js";
import { SERVICE_NAMES } from "./workspace.js";

/** Every login the stack provisions: one per service, plus the schema registry's own store. */
export function stackLogins(): DatabaseLogin[] {
  return [...SERVICE_NAMES.map((service) => databaseLogin(service)), databaseLogin("registry")];
}

const INIT_HEADER = `-- One database and one login role per Herald service, each role limited to its own database,
-- plus the schema registry's store. Docker's Postgres image runs this once on a fresh volume; the
-- native stack provisions the same logins (src/postgres.ts). Generated from the services'
-- package.json files: do not edit, run \`npm run compose:files\` (a unit test fails until then).
-- Passwords are development defaults only.
`;

/** Compose's Postgres init script, for the same logins the native stack provisions. */
export function renderInitDatabases(logins: readonly DatabaseLogin[] = stackLogins()): string {
  const lines = (statement: (login: DatabaseLogin) => string) => logins.map(statement).join("\n");
  return `${INIT_HEADER}${[
    lines((l) => `CREATE ROLE ${l.role} WITH LOGIN PASSWORD '${l.password}';`),
    lines((l) => `CREATE DATABASE ${l.database} OWNER ${l.role};`),
    lines((l) => `REVOKE ALL ON DATABASE ${l.database} FROM PUBLIC;`),
  ].join("\n\n")}\n`;
}

/**
 * Postgres as `options.postgres` says: an existing server, a cluster of the stack's own, or the
 * server when one answers and its own cluster otherwise. Either way each login gets its own
 * database that no other role may connect to. Idempotent.
 */
export function postgresComponent(options: StackOptions): Component {
  if (options.postgres === "server") return serverComponent(options);
  const cluster = clusterComponent(options);
  if (options.postgres === "own") return cluster;
  const server = serverComponent(options);
  return {
    name: "postgres",
    async up() {
      if ((await server.status()).state === "external") return server.up();
      return cluster.up();
    },
    down: () => cluster.down(),
    kill: () => cluster.kill!(),
    async status() {
      const own = await cluster.status();
      return own.state === "stopped" ? server.status() : own;
    },
  };
}

/** The admin URL of the stack's own cluster. */
function clusterAdminUrl(options: StackOptions): string {
  return `postgres://postgres@${options.host}:${options.ports.postgres}/postgres`;
}

/**
 * A Postgres cluster of the stack's own, initialised in its state dir from the machine's PostgreSQL
 * binaries (POSTGRES_BIN_DIR, or the newest /usr/lib/postgresql/<version>/bin). Postgres refuses to
 * run as root, so as root it runs as the `postgres` user. Durability settings are relaxed (fsync
 * off): this is development and test data, and a crash of the process (not the machine) loses nothing.
 */
function clusterComponent(options: StackOptions): Component {
  const home = join(options.stateDir, "postgres");
  const dataDir = join(home, "data");
  const adminUrl = clusterAdminUrl(options);
  return daemonComponent(options, {
    name: "postgres",
    port: options.ports.postgres,
    readyTimeoutMs: 60_000,
    // SIGTERM would wait for every client to disconnect; SIGINT is Postgres's fast shutdown.
    stopSignal: "SIGINT",
    describe: () => `${options.host}:${options.ports.postgres} (own cluster in ${dataDir})`,
    async prepare() {
      const bin = postgresBinDir();
      const user = process.getuid?.() === 0 ? postgresUser() : undefined;
      mkdirSync(join(home, "run"), { recursive: true });
      if (user) {
        chownSync(home, user.uid, user.gid);
        chownSync(join(home, "run"), user.uid, user.gid);
      }
      if (!existsSync(join(dataDir, "PG_VERSION"))) {
        const init = spawnSync(
          join(bin, "initdb"),
          ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"],
          { encoding: "utf8", ...(user ?? {}) },
        );
        if (init.status !== 0)
          throw new StackError(
            `initdb failed: ${(init.stderr || init.stdout).trim()}`,
            `remove ${dataDir} and try again`,
          );
      }
      return {
        command: join(bin, "postgres"),
        args: [
          "-D",
          dataDir,
          "-p",
          String(options.ports.postgres),
          "-k",
          join(home, "run"),
          "-c",
          `listen_addresses=${options.host}`,
          "-c",
          "max_connections=300",
          "-c",
          "fsync=off",
          "-c",
          "full_page_writes=off",
        ],
        ...(user ? { user } : {}),
      };
    },
    async isReady() {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
      try {
        await client.connect();
        return true;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async afterStart() {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        for (const login of stackLogins()) await provision(admin, login);
      } finally {
        await admin.end();
      }
    },
  });
}

function postgresBinDir(): string {
  const named = process.env.POSTGRES_BIN_DIR;
  if (named) return named;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new StackError(
      "no Postgres server answers and no PostgreSQL server binaries were found to start one",
      "install PostgreSQL 15+ (e.g. apt-get install postgresql), set POSTGRES_BIN_DIR, or set POSTGRES_ADMIN_URL to a server",
    );
  return join(root, versions[0]!, "bin");
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0)
    throw new StackError(
      "Postgres cannot run as root and there is no `postgres` user to run it as",
      "create one (useradd --system postgres) or run the stack as another user",
    );
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** An existing server at `postgresAdminUrl`; provisions the logins, never starts or stops it. */
function serverComponent(options: StackOptions): Component {
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
