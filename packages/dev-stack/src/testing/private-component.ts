import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Component } from "../component.js";

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A piece of infrastructure of a test's own: stopped and started at will, removed with its state. */
export interface PrivateComponent {
  /** Stops it; its state stays, so `up` brings the same data back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Stops it and removes its state dir. */
  remove(): Promise<void>;
}

/**
 * Starts the component `make` builds on a state dir of its own under the system's temp dir, named
 * `<name>-…` (readable by others: a cluster started as root runs as the postgres user), and removes
 * that dir again if it does not come up.
 */
export async function startPrivateComponent(
  name: string,
  make: (stateDir: string) => Component,
): Promise<PrivateComponent> {
  const stateDir = mkdtempSync(join(tmpdir(), `${name}-`));
  chmodSync(stateDir, 0o755);
  const component = make(stateDir);
  const remove = async () => {
    await component.down();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await component.up();
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
  return {
    async down() {
      await component.down();
    },
    async up() {
      await component.up();
    },
    remove,
  };
}
