import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultStackOptions } from "../config.js";
import { kafkaComponent } from "../kafka.js";

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

/** A single-node Kafka of a test's own, which the test may stop and restart. */
export interface PrivateKafka {
  readonly brokers: string[];
  /** Stops the broker; its state stays, so `up` brings the same topics back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Stops the broker and removes its state dir. */
  remove(): Promise<void>;
}

/**
 * Starts a broker as the stack provisions it (same logins), on free ports and in a state dir of its
 * own under the system's temp dir named `<name>-…`: for tests that stop or restart Kafka, or that
 * must not be seen by the shared broker's other users.
 */
export async function startPrivateKafka(name: string): Promise<PrivateKafka> {
  const stateDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const ports = { broker: await freePort(), controller: await freePort() };
  const broker = kafkaComponent({ ...defaultStackOptions(), stateDir }, ports);
  const remove = async () => {
    await broker.down();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await broker.up();
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
  return {
    brokers: [`127.0.0.1:${ports.broker}`],
    async down() {
      await broker.down();
    },
    async up() {
      await broker.up();
    },
    remove,
  };
}
