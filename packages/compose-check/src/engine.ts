import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { StackError } from "@herald/dev-stack";
import {
  type DockerEngine,
  docker,
  ensureStandIns,
  packageManagerNpm,
  repoRoot,
  standInKind,
} from "@herald/dev-stack/compose";
import { note } from "./report.js";

/**
 * The compose project on compose:check's own Docker engine: the compose file, the infrastructure
 * services it starts, the host ports it publishes (free ones, found here), the `docker compose`
 * command bound to them, and the images it needs (local stand-ins where no registry is reachable).
 */

export const COMPOSE_FILE = join(repoRoot, "docker-compose.yml");
/** The one Dockerfile every service image is built from. */
const SERVICE_DOCKERFILE = join(repoRoot, "services", "Dockerfile");
export const INFRA = ["postgres", "kafka", "kafka-init", "schema-registry", "maildev", "zipkin"] as const;
const PORT_VARIABLES = {
  order: "HERALD_ORDER_PORT",
  inventory: "HERALD_INVENTORY_PORT",
  payment: "HERALD_PAYMENT_PORT",
  email: "HERALD_EMAIL_PORT",
  analytics: "HERALD_ANALYTICS_PORT",
  kafka: "HERALD_KAFKA_PORT",
  maildev: "HERALD_MAILDEV_PORT",
  zipkin: "HERALD_ZIPKIN_PORT",
  postgres: "HERALD_POSTGRES_PORT",
} as const;

export type PublishedPorts = Record<keyof typeof PORT_VARIABLES, number>;

/** A free host port for every port compose publishes. */
export async function freePorts(): Promise<PublishedPorts> {
  const entries = await Promise.all(
    Object.keys(PORT_VARIABLES).map(async (key) => [key, await freePort()] as const),
  );
  return Object.fromEntries(entries) as PublishedPorts;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `docker compose -f docker-compose.yml …` on the engine, publishing on `ports`. */
export function composeCommand(engine: DockerEngine, ports: PublishedPorts) {
  const composeEnv = Object.fromEntries(
    Object.entries(PORT_VARIABLES).map(([key, variable]) => [
      variable,
      String(ports[key as keyof typeof ports]),
    ]),
  );
  return (args: readonly string[], logFile?: string) =>
    docker(engine, ["compose", "-f", COMPOSE_FILE, ...args], {
      cwd: repoRoot,
      env: composeEnv,
      ...(logFile ? { logFile } : {}),
    });
}

/** Builds a local stand-in for the Node base image and each third-party image no registry serves. */
export async function ensureImages(
  engine: DockerEngine,
  services: Record<string, { image?: string; build?: unknown }>,
  { cacheDir, logFile }: { cacheDir: string; logFile: string },
): Promise<void> {
  const nodeImage = nodeBaseImage();
  const thirdParty = Object.values(services)
    .filter((service) => !service.build && service.image && standInKind(service.image))
    .map((service) => service.image as string);
  const built = await ensureStandIns([nodeImage, ...thirdParty], {
    engine,
    cacheDir,
    logFile,
    nodeImage,
    npmVersion: packageManagerNpm(),
    progress: note,
  });
  if (built.length === 0) note("all present");
}

/** The Node image the service Dockerfile builds on (its NODE_IMAGE default). */
function nodeBaseImage(): string {
  const match = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(SERVICE_DOCKERFILE, "utf8"));
  if (!match?.[1])
    throw new StackError("services/Dockerfile has no ARG NODE_IMAGE=…", "declare the Node base image");
  return match[1];
}
