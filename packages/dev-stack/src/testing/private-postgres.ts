import { defaultStackOptions } from "../config.js";
import { postgresComponent } from "../postgres.js";
import { databaseLogin, databaseUrl } from "../services.js";
import type { ServiceName } from "../workspace.js";
import { freePort, type PrivateComponent, startPrivateComponent } from "./private-component.js";

/** A Postgres cluster of a test's own, which the test may stop, restart, or measure alone. */
export interface PrivatePostgres extends PrivateComponent {
  /** The URL of a service's database on this cluster, with the stack's login for it. */
  databaseUrl(service: ServiceName): string;
}

/**
 * Starts a cluster as the stack provisions its own (same databases and logins), on a free port and
 * in a state dir of its own: for tests that restart Postgres, or that read cluster-wide figures
 * (transaction ids, WAL) no other test may move meanwhile.
 */
export async function startPrivatePostgres(name: string): Promise<PrivatePostgres> {
  const defaults = defaultStackOptions();
  const port = await freePort();
  const cluster = await startPrivateComponent(name, (stateDir) =>
    postgresComponent({
      ...defaults,
      stateDir,
      postgres: "own",
      ports: { ...defaults.ports, postgres: port },
    }),
  );
  return { ...cluster, databaseUrl: (service) => databaseUrl(databaseLogin(service), defaults.host, port) };
}
