/**
 * Idle cost of the stack: starts every service and its relay as native processes from a checkout
 * (this one, or the root given as the first argument, e.g. an export of an older commit) against
 * the infrastructure already running (the development defaults of each service's `.env.example`),
 * lets them settle, then reads the CPU time of each process and of each service's Postgres backends
 * from /proc over a window with no orders. Prints one line per process and the total in cores.
 *
 *   node --import tsx packages/dev-stack/src/bench/idle.ts [root] [--seconds 60] [--settle 20] [--relays in-process]
 *
 * With `--relays in-process` each service runs its outbox relay inside its own process
 * (RELAY_MODE=in-process) instead of beside it: half the processes.
 *
 * It stops the processes it started (only those). Kafka and the registry are shared with whatever
 * else runs on the machine, so they are reported separately and not counted in the total.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";

const TICKS_PER_SECOND = 100;

interface Descriptor {
  readonly service: string;
  readonly dir: string;
  readonly port: number;
  readonly main: string;
  readonly relayMetricsPort?: number;
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const root = resolve(args.find((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--")) ?? ".");
const seconds = flag("--seconds", 60);
const settleSeconds = flag("--settle", 20);
const relaysInProcess = args.includes("--relays") && args[args.indexOf("--relays") + 1] === "in-process";

function descriptors(): Descriptor[] {
  return readdirSync(join(root, "services"))
    .flatMap((name) => {
      try {
        const manifest = JSON.parse(readFileSync(join(root, "services", name, "package.json"), "utf8"));
        const herald = manifest.herald as Omit<Descriptor, "dir"> | undefined;
        return herald ? [{ ...herald, dir: join(root, "services", name) }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.port - b.port);
}

function envExample(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, ".env.example"), "utf8").split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.trim();
  }
  return env;
}

function ticks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return undefined;
  }
}

/** A process and its descendants. */
function treeTicks(pid: number): number {
  let total = ticks(pid) ?? 0;
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) total += treeTicks(Number(entry));
    } catch {}
  }
  return total;
}

function pidOf(pattern: RegExp): number | undefined {
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (pattern.test(cmd)) return Number(entry);
    } catch {}
  }
  return undefined;
}

async function waitReady(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await delay(500);
  }
  throw new Error(`${name} not ready at ${url} within 90 s`);
}

async function main(): Promise<void> {
  const services = descriptors();
  const children: { name: string; child: ChildProcess; database?: string }[] = [];
  const tsx = ["--import", "tsx", "--conditions=herald-source"];
  const stop = async () => {
    for (const { child } of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(
      children.map(({ child }) =>
        child.exitCode === null ? new Promise((done) => child.once("exit", done)) : undefined,
      ),
    );
  };
  process.on("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    for (const d of services) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...envExample(d.dir),
        LOG_LEVEL: "warn",
        PORT: String(d.port),
      };
      const external = d.relayMetricsPort !== undefined && !relaysInProcess;
      env.RELAY_MODE = external ? "external" : "in-process";
      const child = spawn(process.execPath, [...tsx, join(d.dir, d.main)], {
        cwd: d.dir,
        env,
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.push({ name: d.service, child, database: new URL(env.DATABASE_URL!).username });
      await waitReady(`http://127.0.0.1:${d.port}/health/ready`, child, d.service);
      if (external) {
        const relay = spawn(process.execPath, [...tsx, join(root, "packages/outbox/src/relay-main.ts")], {
          cwd: d.dir,
          env: {
            ...env,
            RELAY_CLIENT_ID: `${d.service}-relay`,
            RELAY_METRICS_PORT: String(d.relayMetricsPort),
          },
          stdio: ["ignore", "ignore", "inherit"],
        });
        children.push({ name: `${d.service}-relay`, child: relay });
        await waitReady(`http://127.0.0.1:${d.relayMetricsPort}/metrics`, relay, `${d.service}-relay`);
      }
    }
    process.stderr.write(`started ${children.length} processes from ${root}; settling ${settleSeconds} s\n`);
    await delay(settleSeconds * 1000);

    // Postgres backends of each service's role, found by user name.
    const admin = new pg.Client({ connectionString: envExample(services[0]!.dir).DATABASE_URL });
    await admin.connect();
    const backends = async () => {
      const { rows } = await admin.query<{ pid: number; usename: string }>(
        "SELECT pid, usename FROM pg_stat_activity WHERE usename LIKE 'herald\\_%' AND usename <> 'herald_registry' AND pid <> pg_backend_pid()",
      );
      return rows;
    };
    const kafkaPid = pidOf(/kafka\.Kafka /);
    const registryPid = pidOf(/apicurio-registry/);
    const sample = async () => {
      const byName = new Map<string, number>();
      for (const { name, child } of children) byName.set(name, treeTicks(child.pid!));
      for (const { pid, usename } of await backends()) {
        const key = `postgres (${usename.replace(/^herald_/, "")})`;
        byName.set(key, (byName.get(key) ?? 0) + (ticks(pid) ?? 0));
      }
      const shared = new Map<string, number>();
      if (kafkaPid) shared.set("kafka (shared)", treeTicks(kafkaPid));
      if (registryPid) shared.set("registry (shared)", treeTicks(registryPid));
      return { byName, shared, backendPids: new Set((await backends()).map((b) => b.pid)) };
    };
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const before = await sample();
    const startedAt = Date.now();
    await delay(seconds * 1000);
    const after = await sample();
    const elapsed = (Date.now() - startedAt) / 1000;
    await admin.end();
    const cores = (a: number, b: number) => (b - a) / TICKS_PER_SECOND / elapsed;
    let total = 0;
    const lines: string[] = [];
    for (const [name, value] of after.byName) {
      const used = cores(before.byName.get(name) ?? 0, value);
      total += used;
      lines.push(`${name.padEnd(28)} ${used.toFixed(4)} cores`);
    }
    for (const [name, value] of after.shared)
      lines.push(`${name.padEnd(28)} ${cores(before.shared.get(name) ?? 0, value).toFixed(4)} cores`);
    process.stdout.write(
      `idle CPU over ${elapsed.toFixed(0)} s, load average at start ${load}, root ${root}, relays ${relaysInProcess ? "in-process" : "external"}\n${lines.join("\n")}\n` +
        `${"total (services, relays, their Postgres backends)".padEnd(28)} ${total.toFixed(4)} cores\n`,
    );
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
