import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./config.js";

/**
 * A service as the `herald` block of its package.json declares it (the service kit checks the block
 * when the service loads; the stack reads it to run the service and to provision its access).
 */
export interface ServiceDescriptor {
  readonly service: string;
  readonly dir: string;
  /** HTTP port; `GET /health/ready` there says when it is up. */
  readonly port: number;
  /** Composition root, relative to the service folder (run from source with tsx). */
  readonly main: string;
  /** Metrics port of its own outbox relay process, when the service produces events. */
  readonly relayMetricsPort?: number;
  /** The topics it writes and reads: its Kafka ACLs derive from these. */
  readonly writes: readonly string[];
  readonly reads: readonly string[];
  /** Prefix of the short-lived consumer groups it also runs. */
  readonly groupPrefix?: string;
}

/**
 * Every folder under `services/` whose package.json declares a service, in the order of their
 * ports, ports shifted by `portOffset`. A new service is found here, and with it gets its database,
 * logins, topics and ACLs in the native stack.
 */
export function discoverServices(root: string = repoRoot, portOffset = 0): ServiceDescriptor[] {
  const servicesDir = join(root, "services");
  let folders: string[];
  try {
    folders = readdirSync(servicesDir);
  } catch {
    return [];
  }
  const found: ServiceDescriptor[] = [];
  for (const folder of folders) {
    let manifest: { herald?: Partial<Omit<ServiceDescriptor, "dir">> };
    try {
      manifest = JSON.parse(readFileSync(join(servicesDir, folder, "package.json"), "utf8"));
    } catch {
      continue;
    }
    const herald = manifest.herald;
    if (!herald?.service || !herald.port || !herald.main) continue;
    found.push({
      service: herald.service,
      main: herald.main,
      writes: herald.writes ?? [],
      reads: herald.reads ?? [],
      ...(herald.groupPrefix ? { groupPrefix: herald.groupPrefix } : {}),
      dir: join(servicesDir, folder),
      port: herald.port + portOffset,
      ...(herald.relayMetricsPort ? { relayMetricsPort: herald.relayMetricsPort + portOffset } : {}),
    });
  }
  return found.sort((a, b) => a.port - b.port);
}

/** A service's name, as its package.json declares it (`order`, `inventory`, …). */
export type ServiceName = string;

/** The services of this workspace, in the order of their ports. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.freeze(
  discoverServices().map((descriptor) => descriptor.service),
);
