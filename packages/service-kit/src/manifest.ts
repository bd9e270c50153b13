import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TOPICS, type TopicName } from "@herald/events";
import { ServiceKitError } from "./errors.js";

/**
 * A service, declared once: the `herald` block of its package.json plus the package's version.
 * Everything else is derived from it — the consumer group and client id (`<name>-service`), the
 * Postgres application name, the Kafka principal (`herald-<name>`), the default port, and, in the
 * native stack and the compose checks, the databases, logins and ACLs.
 */
export interface ServiceManifest {
  /** `order`, `inventory`, …: lower case, the folder's and the database's name. */
  readonly name: string;
  readonly version: string;
  /** Default HTTP port (the PORT setting overrides it). */
  readonly port: number;
  /** The topics whose events the service writes (through its outbox). */
  readonly writes: readonly TopicName[];
  /** The topics its consumer reads; empty for a service that only writes. */
  readonly reads: readonly TopicName[];
  /** Prefix of short-lived consumer groups the service also runs (analytics' rebuilds). */
  readonly groupPrefix?: string;
}

/** The consumer group of a service, also its Kafka client id and the stem of its dead-letter topic. */
export function groupIdOf(manifest: Pick<ServiceManifest, "name">): string {
  return `${manifest.name}-service`;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Checks a package.json's `herald` block; every problem is named in one error. */
export function parseServiceManifest(packageJson: unknown, source = "package.json"): ServiceManifest {
  const pkg = (packageJson ?? {}) as { version?: unknown; herald?: Record<string, unknown> };
  const herald = pkg.herald;
  const fail = (problem: string): never => {
    throw new ServiceKitError("SERVICE_MANIFEST_INVALID", `${source}: ${problem}`);
  };
  if (!herald || typeof herald !== "object") return fail('no "herald" block declares the service');
  const problems: string[] = [];
  const name = herald.service;
  if (typeof name !== "string" || !NAME.test(name))
    problems.push(`herald.service must be a lower-case name like "order" (got ${JSON.stringify(name)})`);
  const port = herald.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535)
    problems.push(`herald.port must be a port number (got ${JSON.stringify(port)})`);
  if (typeof pkg.version !== "string") problems.push("version is missing");
  const topics = (key: "writes" | "reads"): TopicName[] => {
    const value = herald[key] ?? [];
    if (!Array.isArray(value)) {
      problems.push(`herald.${key} must be a list of topics`);
      return [];
    }
    for (const topic of value)
      if (typeof topic !== "string" || !Object.hasOwn(TOPICS, topic))
        problems.push(
          `herald.${key} names ${JSON.stringify(topic)}, which is not a topic (${Object.keys(TOPICS).join(", ")})`,
        );
    return value as TopicName[];
  };
  const writes = topics("writes");
  const reads = topics("reads");
  for (const topic of writes) {
    const writer = TOPICS[topic]?.writer;
    if (writer && writer !== name) problems.push(`herald.writes names "${topic}", which ${writer} writes`);
  }
  for (const topic of Object.values(TOPICS))
    if (topic.writer === name && !writes.includes(topic.name))
      problems.push(`herald.writes must name "${topic.name}": its events are ${name}'s`);
  const groupPrefix = herald.groupPrefix;
  if (groupPrefix !== undefined && (typeof groupPrefix !== "string" || !groupPrefix.startsWith(`${name}-`)))
    problems.push(`herald.groupPrefix must start with "${String(name)}-"`);
  if (problems.length > 0) fail(problems.join("; "));
  return Object.freeze({
    name: name as string,
    version: pkg.version as string,
    port: port as number,
    writes: Object.freeze(writes),
    reads: Object.freeze(reads),
    ...(groupPrefix ? { groupPrefix: groupPrefix as string } : {}),
  });
}

/**
 * The manifest of the package a module belongs to: the nearest package.json above it that has a
 * `herald` block (from source and from `dist` alike). A service's config module calls it with its
 * own `import.meta.url`.
 */
export function readServiceManifest(moduleUrl: string): ServiceManifest {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const packageJson = JSON.parse(readFileSync(file, "utf8")) as { herald?: unknown };
      if (packageJson.herald) return parseServiceManifest(packageJson, file);
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new ServiceKitError(
        "SERVICE_MANIFEST_INVALID",
        `no package.json with a "herald" block above ${fileURLToPath(moduleUrl)}`,
      );
    dir = parent;
  }
}
