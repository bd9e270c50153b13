import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultStackOptions } from "../config.js";
import { postgresComponent } from "../postgres.js";
import { databaseLogin, databaseUrl } from "../services.js";
import type { ServiceName } from "../workspace.js";
import { freePort } from "./private-kafka.js";

/** A Postgres cluster of a test's own, which the test may stop, restart, or measure alone. */
export interface PrivatePostgres {
  /** The URL of a service's database on this cluster, with the stack's login for it. */
  databaseUrl(service: ServiceName): string;
  /** Stops the cluster; its data stays, so `up` brings the same databases back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Stops the cluster and removes its data. */
  remove(): Promise<void>;
}

/**
 * Starts a cluster as the stack provisions its own (same databases and logins), on a free port and
 * in a state dir under the system's temp dir named `<name>-…`: for tests that restart Postgres, or
 * that read cluster-wide figures (transaction ids, WAL) no other test may move meanwhile.
 */
export async function startPrivatePostgres(name: string): Promise<PrivatePostgres> {
  const stateDir = mkdtempSync(join(tmpdir(), `${name}-`));
  // As root the cluster runs as the postgres user, who must reach its data dir inside.
  chmodSync(stateDir, 0o755);
  const defaults = defaultStackOptions();
  const port = await freePort();
  const cluster = postgresComponent({
    ...defaults,
    stateDir,
    postgres: "own",
    ports: { ...defaults.ports, postgres: port },
  });
  const remove = async () => {
    await cluster.down();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await cluster.up();
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
  return {
    databaseUrl: (service) => databaseUrl(databaseLogin(service), defaults.host, port),
    async down() {
      await cluster.down();
    },
    async up() {
      await cluster.up();
    },
    remove,
  };
}
