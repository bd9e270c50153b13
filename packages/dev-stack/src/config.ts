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

export const PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  schemaRegistry: 8081,
  postgres: 5432,
  smtp: 1025,
  mailWeb: 1080,
} as const;

export interface StackOptions {
  /** Runtime state: data directories, logs, pid files. */
  readonly stateDir: string;
  /** Downloads kept across clones, so a warm start takes seconds. */
  readonly cacheDir: string;
  readonly host: string;
  /** A superuser connection used only to create the per-service roles and databases. */
  readonly postgresAdminUrl: string;
  readonly javaHome: string | undefined;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function defaultStackOptions(env: NodeJS.ProcessEnv = process.env): StackOptions {
  const cacheHome = env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return {
    stateDir: env.HERALD_STACK_DIR ?? join(repoRoot, ".herald"),
    cacheDir: env.HERALD_CACHE_DIR ?? join(cacheHome, "herald"),
    host: "127.0.0.1",
    postgresAdminUrl: env.POSTGRES_ADMIN_URL ?? `postgres://postgres@127.0.0.1:${PORTS.postgres}/postgres`,
    javaHome: env.JAVA_HOME,
  };
}
