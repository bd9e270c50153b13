import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Component } from "../component.js";
import { defaultStackOptions } from "../config.js";
import { infraFromEnvironment } from "../environment.js";
import { serviceComponents } from "../service-processes.js";
import { createStack, type Infra } from "../stack.js";
import { discoverServices, type ServiceName } from "../workspace.js";

/** The running services of an end-to-end run, each a separate process with its own relay process. */
export interface System {
  /** `http://127.0.0.1:<port>` of a service. */
  url(service: ServiceName): string;
  readonly services: readonly ServiceName[];
}

const options = defaultStackOptions();
/** Components this run started; the e2e teardown stops exactly these. */
const startedFile = join(options.stateDir, "run", "e2e-started.json");

function components(infra: Infra): {
  services: Component[];
  relays: Component[];
  ports: Map<ServiceName, number>;
} {
  const descriptors = discoverServices();
  return {
    ...serviceComponents(options, infra, descriptors),
    ports: new Map(descriptors.map((d) => [d.service, d.port])),
  };
}

/**
 * Starts every declared service and its relay as native processes against `infra`, as `stack:up`
 * does, unless they already run (a developer's `stack:up`, or an earlier e2e file of this run).
 * Idempotent; e2e files call it in `beforeAll` and share one system.
 */
export async function startSystem(infra: Infra): Promise<System> {
  const { services, relays, ports } = components(infra);
  const started: string[] = readStarted();
  for (const step of [services, relays]) {
    const results = await Promise.allSettled(step.map(async (c) => ((await c.up()) ? c.name : undefined)));
    for (const result of results)
      if (result.status === "fulfilled" && result.value) started.push(result.value);
    writeStarted(started);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
  }
  return {
    services: [...ports.keys()],
    url(service) {
      const port = ports.get(service);
      if (port === undefined) throw new Error(`no service "${service}" is declared under services/`);
      return `http://${options.host}:${port}`;
    },
  };
}

/** Stops what {@link startSystem} started in this run (relays first), leaving anything else running. */
export async function stopSystem(): Promise<void> {
  const started = new Set(readStarted());
  if (started.size === 0) return;
  const { services, relays } = components(infraFromEnvironment() ?? createStack(options).infra);
  for (const step of [relays, services])
    await Promise.all(step.filter((c) => started.has(c.name)).map((c) => c.down()));
  rmSync(startedFile, { force: true });
}

function readStarted(): string[] {
  try {
    return JSON.parse(readFileSync(startedFile, "utf8")) as string[];
  } catch {
    return [];
  }
}

function writeStarted(names: readonly string[]): void {
  mkdirSync(join(options.stateDir, "run"), { recursive: true });
  writeFileSync(startedFile, JSON.stringify([...new Set(names)]));
}
