import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
/**
 * The shared system's ledger: the components e2e runs started, and the runs (process ids of their
 * global setups) still using them. The last run to end stops exactly these components.
 */
const startedFile = join(options.stateDir, "run", "e2e-started.json");

export interface SystemLedger {
  /** Components started by e2e runs (not a developer's `stack:up`). */
  readonly started: readonly string[];
  /** Process ids of the e2e runs using them. */
  readonly runs: readonly number[];
}

/**
 * A run begins: the ledger with `pid` among its runs, and what to stop first: the components of runs
 * that died without their teardown (none while another live run uses them).
 */
export function joinRun(
  ledger: SystemLedger,
  pid: number,
  alive: (pid: number) => boolean,
): { ledger: SystemLedger; leftovers: readonly string[] } {
  const runs = ledger.runs.filter(alive);
  const leftovers = runs.length === 0 ? ledger.started : [];
  return { ledger: { started: runs.length === 0 ? [] : ledger.started, runs: [...runs, pid] }, leftovers };
}

/** A run ends: the ledger without `pid`, and what to stop: everything started, if no live run is left. */
export function leaveRun(
  ledger: SystemLedger,
  pid: number,
  alive: (pid: number) => boolean,
): { ledger: SystemLedger; stop: readonly string[] } {
  const runs = ledger.runs.filter((run) => run !== pid && alive(run));
  return runs.length === 0
    ? { ledger: { started: [], runs }, stop: ledger.started }
    : { ledger: { ...ledger, runs }, stop: [] };
}

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
  for (const step of [services, relays]) {
    const results = await Promise.allSettled(step.map(async (c) => ((await c.up()) ? c.name : undefined)));
    const started = results.flatMap((result) =>
      result.status === "fulfilled" && result.value ? [result.value] : [],
    );
    const ledger = readLedger();
    writeLedger({ ...ledger, started: [...ledger.started, ...started] });
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

/** Whether a process (another e2e run's global setup) is still alive. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The e2e global setup's start: this run joins the ledger, and components left behind by runs that
 * died are stopped; a system another live run uses is left to it (two runs at once share it).
 */
export async function beginSystemRun(pid = process.pid): Promise<readonly string[]> {
  const { ledger, leftovers } = joinRun(readLedger(), pid, processAlive);
  await stopComponents(leftovers);
  writeLedger(ledger);
  return leftovers;
}

/** Notes a component an e2e run started besides the services (the trace UI), for the last run out. */
export function recordStarted(name: string): void {
  const ledger = readLedger();
  writeLedger({ ...ledger, started: [...ledger.started, name] });
}

/** The e2e teardown: this run leaves, and the last run out stops what e2e runs started (relays first). */
export async function endSystemRun(pid = process.pid): Promise<readonly string[]> {
  const { ledger, stop } = leaveRun(readLedger(), pid, processAlive);
  writeLedger(ledger);
  await stopComponents(stop);
  return stop;
}

async function stopComponents(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const stop = new Set(names);
  const { services, relays } = components(infraFromEnvironment() ?? createStack(options).infra);
  for (const step of [relays, services])
    await Promise.all(step.filter((c) => stop.has(c.name)).map((c) => c.down()));
}

function readLedger(): SystemLedger {
  try {
    const parsed = JSON.parse(readFileSync(startedFile, "utf8")) as SystemLedger | string[];
    // An older run wrote the started components alone.
    return Array.isArray(parsed) ? { started: parsed, runs: [] } : parsed;
  } catch {
    return { started: [], runs: [] };
  }
}

function writeLedger(ledger: SystemLedger): void {
  mkdirSync(join(options.stateDir, "run"), { recursive: true });
  writeFileSync(startedFile, JSON.stringify({ started: [...new Set(ledger.started)], runs: ledger.runs }));
}
