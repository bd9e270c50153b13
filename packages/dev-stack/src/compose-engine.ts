import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { StackError } from "./errors.js";

/** A private Docker engine: its own socket, data (kept across runs), state and pid file. */
export interface DockerEngine {
  /** Environment for `docker` commands that talk to this engine. */
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface CommandResult {
  readonly code: number;
  readonly output: string;
}

const APT_HINT = "run as root on Debian/Ubuntu, or install it yourself";

/**
 * Installs what compose:check needs and is missing: Docker's engine and CLI (Debian's docker.io),
 * debootstrap (the stand-in base image) and Compose v2 (Debian trixie's docker-compose .deb, which
 * runs on bookworm; bookworm's own is v1).
 */
export function ensureDockerTools(cacheDir: string): string[] {
  const installed: string[] = [];
  const missing = [
    ["dockerd", "docker.io"],
    ["docker", "docker.io"],
    ["debootstrap", "debootstrap"],
  ]
    .filter(([binary]) => !onPath(binary as string))
    .map(([, pkg]) => pkg as string);
  if (missing.length > 0) {
    const packages = [...new Set(missing)];
    aptGet(["install", "-y", "--no-install-recommends", ...packages], packages.join(", "));
    installed.push(...packages);
  }
  if (!composeV2Available()) {
    installComposePlugin(cacheDir);
    installed.push("docker compose v2");
  }
  return installed;
}

function onPath(binary: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).status === 0;
}

function composeV2Available(): boolean {
  const probe = spawnSync("docker", ["compose", "version", "--short"], { encoding: "utf8" });
  return probe.status === 0 && /^v?2\./.test(probe.stdout.trim());
}

function aptGet(args: string[], what: string, extra: string[] = []): string {
  const run = (argv: string[]) =>
    spawnSync("apt-get", [...extra, ...argv], {
      encoding: "utf8",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  let result = run(args);
  if (result.status !== 0 && /Unable to locate|has no installation candidate|404/.test(result.stderr)) {
    const update = run(["update", "-q"]);
    if (update.status === 0) result = run(args);
  }
  if (result.error || result.status !== 0) {
    throw new StackError(
      `could not install ${what} with apt-get: ${lastLine(result.stderr || String(result.error))}`,
      APT_HINT,
    );
  }
  return result.stdout;
}

/** Compose v2 from Debian trixie, fetched with a private apt configuration and unpacked by hand. */
function installComposePlugin(cacheDir: string): void {
  const dir = join(cacheDir, "apt-trixie");
  mkdirSync(join(dir, "lists", "partial"), { recursive: true });
  mkdirSync(join(dir, "archives", "partial"), { recursive: true });
  const sources = join(dir, "sources.list");
  writeFileSync(sources, "deb http://deb.debian.org/debian trixie main\n");
  const options = [
    `-o=Dir::Etc::SourceList=${sources}`,
    "-o=Dir::Etc::SourceParts=/dev/null",
    `-o=Dir::State::Lists=${join(dir, "lists")}`,
    `-o=Dir::Cache=${dir}`,
    `-o=Dir::Cache::archives=${join(dir, "archives")}`,
    "-o=APT::Sandbox::User=root",
  ];
  aptGet(["update", "-q"], "the trixie package index (for Compose v2)", options);
  const download = spawnSync("apt-get", [...options, "download", "docker-compose/trixie"], {
    cwd: dir,
    encoding: "utf8",
  });
  const deb = spawnSync("sh", ["-c", "ls docker-compose_*.deb | tail -1"], { cwd: dir, encoding: "utf8" });
  if (download.status !== 0 || !deb.stdout.trim()) {
    throw new StackError(
      `could not download Compose v2 (docker-compose/trixie): ${lastLine(download.stderr)}`,
      "install the Docker Compose v2 plugin yourself (docker compose version must say v2)",
    );
  }
  const unpacked = join(dir, "unpacked");
  rmSync(unpacked, { recursive: true, force: true });
  const extract = spawnSync("dpkg-deb", ["-x", join(dir, deb.stdout.trim()), unpacked], { encoding: "utf8" });
  if (extract.status !== 0) throw new StackError(`dpkg-deb failed: ${lastLine(extract.stderr)}`, APT_HINT);
  const pluginDir = join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "cli-plugins");
  mkdirSync(pluginDir, { recursive: true });
  const target = join(pluginDir, "docker-compose");
  copyFileSync(join(unpacked, "usr", "libexec", "docker", "cli-plugins", "docker-compose"), target);
  chmodSync(target, 0o755);
}

/**
 * Starts a dockerd of our own in the background. Images and build cache live under `dataRoot`
 * (kept, so a later run reuses them); socket, state and pid file under `runDir` (short: unix
 * socket paths are limited). A dockerd left running by an interrupted run is stopped first.
 */
export async function startDockerEngine(dataRoot: string, runDir: string): Promise<DockerEngine> {
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  const pidFile = join(runDir, "dockerd.pid");
  const socket = join(runDir, "docker.sock");
  const logFile = join(runDir, "dockerd.log");
  await stopByPidFile(pidFile);
  const log = openSync(logFile, "w");
  const child = spawn(
    "dockerd",
    [
      `--host=unix://${socket}`,
      `--data-root=${dataRoot}`,
      `--exec-root=${join(runDir, "exec")}`,
      `--pidfile=${pidFile}`,
      // Root here lacks CAP_SYS_RESOURCE: containers may not raise nofile past the hard limit.
      "--default-ulimit=nofile=16384:16384",
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  child.unref();
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: "1" };
  const engine: DockerEngine = { env, logFile, stop: () => stopEngine(child, pidFile) };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { env }).status === 0) return engine;
    await delay(250);
  }
  await engine.stop();
  throw new StackError(
    `dockerd did not start: ${lastLine(readFileSync(logFile, "utf8"))}`,
    `see ${logFile}; dockerd needs root (iptables, overlay mounts)`,
  );
}

async function stopEngine(child: ChildProcess, pidFile: string): Promise<void> {
  if (child.exitCode === null && child.pid) {
    child.kill("SIGTERM");
    await waitForExit(child.pid, 30_000);
  }
  await stopByPidFile(pidFile);
}

async function stopByPidFile(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isDockerd(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  process.kill(pid, "SIGTERM");
  await waitForExit(pid, 30_000);
  rmSync(pidFile, { force: true });
}

function isDockerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "dockerd";
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(200);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs `docker <args>` against the engine, output kept (and appended to `logFile` when given). */
export function docker(
  engine: DockerEngine,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile?: string; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const log = options.logFile ? openSync(options.logFile, "a") : undefined;
    const child = spawn("docker", args, {
      cwd: options.cwd,
      env: { ...engine.env, ...options.env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (log !== undefined) writeSync(log, chunk);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on("error", (error) => {
      if (log !== undefined) closeSync(log);
      reject(error);
    });
    child.on("close", (code) => {
      if (log !== undefined) closeSync(log);
      resolve({ code: code ?? 1, output });
    });
  });
}

export function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return lines.at(-1) ?? "(no output)";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
