import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Versions shared with docker-compose.yml; change them together. */
export const VERSIONS = {
  kafka: "3.9.1",
  scala: "2.13",
  slf4j: "1.7.36",
  apicurio: "3.0.9",
} as const;

export interface StackPorts {
  readonly kafka: number;
  readonly kafkaController: number;
  readonly schemaRegistry: number;
  readonly postgres: number;
  readonly smtp: number;
  readonly mailWeb: number;
  /** Added to every service's HTTP port and relay metrics port (3001 → 3001 + offset). */
  readonly serviceOffset: number;
}

export const PORTS: StackPorts = {
  kafka: 9092,
  kafkaController: 9093,
  schemaRegistry: 8081,
  postgres: 5432,
  smtp: 1025,
  mailWeb: 1080,
  serviceOffset: 0,
};

/**
 * Where Postgres comes from: `server` is the one at `postgresAdminUrl`; `own` is a cluster of the
 * stack's own (initdb into the state dir, the machine's PostgreSQL binaries) on `ports.postgres`;
 * `auto` uses the server when one answers there and starts its own cluster otherwise.
 */
export type PostgresSource = "server" | "own" | "auto";

export interface StackOptions {
  /** Runtime state: data directories, logs, pid files. */
  readonly stateDir: string;
  /** Downloads kept across clones, so a warm start takes seconds. */
  readonly cacheDir: string;
  readonly host: string;
  /** A superuser connection used only to create the per-service roles and databases. */
  readonly postgresAdminUrl: string;
  readonly postgres: PostgresSource;
  readonly ports: StackPorts;
  readonly javaHome: string | undefined;
  /** Settings every service process gets on top of its `.env.example` defaults (e.g. a load test's limits). */
  readonly serviceSettings?: Readonly<Record<string, string>>;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function defaultStackOptions(env: NodeJS.ProcessEnv = process.env): StackOptions {
  const cacheHome = env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return {
    stateDir: env.HERALD_STACK_DIR ?? join(repoRoot, ".herald"),
    cacheDir: env.HERALD_CACHE_DIR ?? join(cacheHome, "herald"),
    host: "127.0.0.1",
    postgresAdminUrl: env.POSTGRES_ADMIN_URL ?? `postgres://postgres@127.0.0.1:${PORTS.postgres}/postgres`,
    // A server the developer named is used as it is; otherwise the machine's, or one of our own.
    postgres: env.POSTGRES_ADMIN_URL ? "server" : "auto",
    ports: PORTS,
    javaHome: env.JAVA_HOME,
  };
}

/**
 * A stack of a test's own: its own state dir, ports from `basePort` up, and its own Postgres
 * cluster, so the test can kill and restart any part without touching the shared stack.
 */
export function privateStackOptions(
  name: string,
  basePort: number,
  env: NodeJS.ProcessEnv = process.env,
): StackOptions {
  const ports: StackPorts = {
    kafka: basePort,
    kafkaController: basePort + 1,
    schemaRegistry: basePort + 2,
    postgres: basePort + 3,
    smtp: basePort + 4,
    mailWeb: basePort + 5,
    // Services at basePort + 10 … + 14, their relays' metrics at basePort + 110 … + 114.
    serviceOffset: basePort + 10 - 3001,
  };
  return {
    ...defaultStackOptions(env),
    stateDir: join(repoRoot, ".herald", "private", name),
    postgresAdminUrl: `postgres://postgres@127.0.0.1:${ports.postgres}/postgres`,
    postgres: "own",
    ports,
  };
}
