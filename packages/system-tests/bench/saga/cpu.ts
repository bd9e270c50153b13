import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The saga benchmark's CPU figures: what each process of the private stack spent per 100 orders. */

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by each process of the private stack and its descendants (Postgres'
 * backends, Kafka's threads are its own), read from /proc through the stack's pid files, and by
 * this load generator. Where /proc is missing it is empty: the figures are a diagnosis, not the result.
 */
export function cpuSeconds(stateDir: string): Map<string, number> {
  const used = new Map<string, number>();
  let stats: { pid: number; ppid: number; ticks: number }[];
  try {
    stats = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          const text = readFileSync(`/proc/${pid}/stat`, "utf8");
          const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
          return [
            { pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) },
          ];
        } catch {
          return [];
        }
      });
  } catch {
    return used;
  }
  const children = new Map<number, number[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  const ticksOf = new Map(stats.map((stat) => [stat.pid, stat.ticks]));
  const tree = (pid: number): number =>
    (ticksOf.get(pid) ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + tree(child), 0);
  let files: string[] = [];
  try {
    files = readdirSync(join(stateDir, "run")).filter((file) => file.endsWith(".pid"));
  } catch {}
  for (const file of files) {
    const pid = Number(
      readFileSync(join(stateDir, "run", file), "utf8")
        .trim()
        .split("\n")[0],
    );
    if (Number.isFinite(pid)) used.set(file.replace(/\.pid$/, ""), tree(pid) / TICKS_PER_SECOND);
  }
  const own = process.cpuUsage();
  used.set("load generator", (own.user + own.system) / 1e6);
  return used;
}

/** CPU seconds per 100 orders by component between two readings, the largest first. */
export function cpuPer100(before: Map<string, number>, after: Map<string, number>, orders: number): string {
  const spent = [...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const);
  const total = spent.reduce((sum, [, seconds]) => sum + seconds, 0);
  const per100 = (seconds: number) => ((100 * seconds) / orders).toFixed(2);
  return `${per100(total)} CPU s per 100 orders: ${spent
    .filter(([, seconds]) => seconds > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${per100(seconds)}`)
    .join(", ")}`;
}
