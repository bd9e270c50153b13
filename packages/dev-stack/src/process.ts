import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Daemon {
  readonly name: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** Starts a process in its own process group, detached from ours, logging to a file. */
export function startDaemon(
  daemon: Daemon,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): number {
  mkdirSync(dirname(daemon.logFile), { recursive: true });
  mkdirSync(dirname(daemon.pidFile), { recursive: true });
  const log = openSync(daemon.logFile, "a");
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", log, log],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  if (child.pid === undefined) throw new Error(`could not start ${daemon.name}: ${command}`);
  child.unref();
  writeFileSync(daemon.pidFile, String(child.pid));
  return child.pid;
}

export function readPid(daemon: Daemon): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(daemon.pidFile, "utf8"), 10);
    return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `signal` (SIGTERM by default) to the whole process group, then SIGKILL if it has not gone within
 * the grace period. SIGKILL at once is a crash, as a chaos test wants it.
 */
export async function stopDaemon(
  daemon: Daemon,
  graceMs = 20_000,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<boolean> {
  const pid = readPid(daemon);
  rmSync(daemon.pidFile, { force: true });
  if (pid === undefined) return false;
  signalGroup(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Polls `probe` until it returns true. Fails early when the process died, pointing at its log.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; pid?: number; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new Error(`${what} exited during start-up; see ${options.logFile ?? "its log"}`);
    }
    await sleep(250);
  }
  throw new Error(
    `${what} was not ready within ${options.timeoutMs / 1000}s; see ${options.logFile ?? "its log"}`,
  );
}
