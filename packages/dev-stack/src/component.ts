import { join } from "node:path";
import type { StackOptions } from "./config.js";
import { StackError } from "./errors.js";
import { type Daemon, isPortOpen, readPid, startDaemon, stopDaemon, waitUntil } from "./process.js";

export interface ComponentStatus {
  readonly name: string;
  readonly state: "ready" | "running" | "stopped" | "external";
  readonly detail: string;
}

/** One piece of infrastructure the stack can start, probe and stop. */
export interface Component {
  readonly name: string;
  /** Starts it unless it is already running; resolves `true` only when this call started it. */
  up(): Promise<boolean>;
  down(): Promise<boolean>;
  /** Ends it abruptly (SIGKILL), as a crash would; resolves `true` if it was running. */
  kill?(): Promise<boolean>;
  status(): Promise<ComponentStatus>;
}

export interface DaemonSpec {
  readonly name: string;
  readonly port: number;
  readonly readyTimeoutMs: number;
  /** Downloads and prepares whatever the process needs; returns the command to run. */
  prepare(): Promise<{
    command: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Runs as this user instead of ours (e.g. Postgres, which refuses to run as root). */
    user?: { uid: number; gid: number };
  }>;
  /** What asks the process to stop cleanly. Default SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
  isReady(): Promise<boolean>;
  /** Runs once after each start, when ready (e.g. set registry defaults). */
  afterStart?(): Promise<void>;
  describe(): string;
}

/** A native process owned by the stack: pid file, log file, port check and readiness probe. */
export function daemonComponent(options: StackOptions, spec: DaemonSpec): Component {
  const daemon: Daemon = {
    name: spec.name,
    pidFile: join(options.stateDir, "run", `${spec.name}.pid`),
    logFile: join(options.stateDir, "logs", `${spec.name}.log`),
  };
  return {
    name: spec.name,
    async up() {
      const running = readPid(daemon);
      if (running !== undefined) {
        await waitUntil(spec.name, () => spec.isReady(), {
          timeoutMs: spec.readyTimeoutMs,
          pid: running,
          logFile: daemon.logFile,
        });
        return false;
      }
      if (await isPortOpen(options.host, spec.port)) {
        throw new StackError(
          `port ${spec.port} (${spec.name}) is taken by another process`,
          `stop that process, or point Herald at it through the environment (see README, "Native stack")`,
        );
      }
      const { command, args, env, cwd, user } = await spec.prepare();
      const pid = startDaemon(daemon, command, args, {
        env: env ?? process.env,
        ...(cwd ? { cwd } : {}),
        ...(user ?? {}),
      });
      try {
        await waitUntil(spec.name, () => spec.isReady(), {
          timeoutMs: spec.readyTimeoutMs,
          pid,
          logFile: daemon.logFile,
        });
        await spec.afterStart?.();
      } catch (error) {
        await stopDaemon(daemon);
        if (error instanceof StackError) throw error;
        throw new StackError((error as Error).message, `read ${daemon.logFile}`, { cause: error });
      }
      return true;
    },
    down: () => stopDaemon(daemon, 20_000, spec.stopSignal),
    kill: () => stopDaemon(daemon, 0, "SIGKILL"),
    async status() {
      const pid = readPid(daemon);
      if (pid === undefined) return { name: spec.name, state: "stopped", detail: `log ${daemon.logFile}` };
      const ready = await spec.isReady().catch(() => false);
      return {
        name: spec.name,
        state: ready ? "ready" : "running",
        detail: `pid ${pid}, ${spec.describe()}`,
      };
    },
  };
}
