import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SERVICE_NAMES, type ServiceName, type Stack } from "@herald/dev-stack";
import { expect } from "vitest";
import type { Load } from "./load.js";
import { progress, seconds } from "./progress.js";
import type { ChaosSystem } from "./system.js";
import { sagaTrail } from "./trail.js";

/**
 * The faults the chaos test injects, one after the other under load, and what it measures of each:
 * when the component answered ready again, and when orders confirmed again.
 */

/** Load kept running between two faults, at least, so every fault hits a system under load. */
export const PAUSE_BETWEEN_FAULTS_MS = 3_000;

/** Fails, with the end of its log, when a process of the stack died (e.g. crashed by the fault). */
async function expectAllRunning({ stack, stateDir }: ChaosSystem, after: string): Promise<void> {
  const dead = (await stack.status()).filter((component) => component.state === "stopped");
  const reports = dead.map((component) => {
    const log = join(stateDir, "logs", `${component.name}.log`);
    const tail = readFileSync(log, "utf8").trimEnd().split("\n").slice(-12).join("\n");
    return `${component.name} died after "${after}"; ${log} ends with:\n${tail}`;
  });
  expect(reports).toEqual([]);
}

/** `herald_consumer_messages_total{outcome="duplicate"}` of a running service: redeliveries its inbox absorbed. */
export async function duplicatesAbsorbed(stack: Stack, service: ServiceName): Promise<number> {
  const text = await fetch(`${stack.serviceUrl(service)}/metrics`, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.text())
    .catch(() => "");
  let total = 0;
  for (const line of text.split("\n"))
    if (line.startsWith("herald_consumer_messages_total{") && line.includes('outcome="duplicate"'))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

export interface FaultFigure {
  readonly fault: string;
  /** When it was injected (epoch ms). */
  readonly at: number;
  /** From the fault to the component answering ready again (its `up()` resolved). */
  readonly readyMs: number;
  /** From the fault until an order placed after the restart was CONFIRMED: the system works again. */
  readonly recoveredMs: number;
}

/** Every service and relay killed with SIGKILL and restarted; Kafka, Postgres and the registry restarted. */
export const FAULTS: readonly { name: string; component: string; how: "kill" | "restart" }[] = [
  ...SERVICE_NAMES.map((name) => ({ name: `kill -9 ${name}`, component: name, how: "kill" as const })),
  ...SERVICE_NAMES.map((name) => ({
    name: `kill -9 ${name}-relay`,
    component: `${name}-relay`,
    how: "kill" as const,
  })),
  { name: "restart Kafka", component: "kafka", how: "restart" },
  { name: "restart Postgres", component: "postgres", how: "restart" },
  { name: "restart registry", component: "schema-registry", how: "restart" },
];

/**
 * Injects every fault in turn under `load`; after each, the system must work again (a probe order
 * confirms) and no process may have died. Returns the figures and the inbox duplicates counted by
 * service processes that were killed (their counters died with them).
 */
export async function injectFaults(
  system: ChaosSystem,
  load: Load,
): Promise<{ figures: FaultFigure[]; banked: number }> {
  const { stack, client } = system;
  const figures: FaultFigure[] = [];
  let banked = 0;
  for (const fault of FAULTS) {
    const component = stack.component(fault.component);
    const victim = SERVICE_NAMES.find((name) => name === fault.component);
    if (victim) banked += await duplicatesAbsorbed(stack, victim);
    progress(`${fault.name} (${load.figures.placements.length} orders so far)`);
    const hit = Date.now();
    if (fault.how === "kill") expect(await component.kill!()).toBe(true);
    else expect(await component.down()).toBe(true);
    await component.up();
    const ready = Date.now();
    const probe = await load.probe(60_000);
    await expectAllRunning(system, fault.name);
    expect(probe.orderId, `the probe order after "${fault.name}" was never accepted`).toBeDefined();
    const settled = await client.settled(probe.orderId!, 60_000).catch(async (error: Error) => {
      const trail = await sagaTrail(stack, client, probe.orderId!);
      throw new Error(`${error.message} after "${fault.name}":\n  ${trail}`);
    });
    expect(settled).toMatchObject({ status: "CONFIRMED" });
    await expectAllRunning(system, fault.name);
    figures.push({ fault: fault.name, at: hit, readyMs: ready - hit, recoveredMs: Date.now() - hit });
    progress(
      `${fault.name}: ready after ${seconds(ready - hit)}, orders confirm again after ${seconds(Date.now() - hit)}`,
    );
    const rest = PAUSE_BETWEEN_FAULTS_MS - (Date.now() - ready);
    if (rest > 0) await sleep(rest);
  }
  return { figures, banked };
}
