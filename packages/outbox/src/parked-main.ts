import pg from "pg";
import { listParked, type ParkedAggregate, releaseParked } from "./parking.js";

// `npm run parked -w @herald/outbox -- list | retry <aggregate-key> --by <name> [--note <text>] |
// skip <aggregate-key> --by <name> --note <text>`: an operator's view of the aggregates a relay
// parked behind a row it could not encode, and their release. Configured by DATABASE_URL (the
// service's database, whose search_path holds its outbox).

const USAGE =
  "usage: npm run parked -w @herald/outbox -- list | retry <aggregate-key> --by <name> [--note <text>] | skip <aggregate-key> --by <name> --note <text>";

type Command =
  | { readonly command: "list" }
  | {
      readonly command: "retry" | "skip";
      readonly aggregateKey: string;
      readonly by: string;
      readonly note?: string;
    };

function parseArguments(args: readonly string[]): Command {
  const [command, aggregateKey, ...rest] = args;
  if (command === "list" && args.length === 1) return { command };
  if ((command !== "retry" && command !== "skip") || !aggregateKey || aggregateKey.startsWith("-"))
    throw new Error(USAGE);
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if ((flag !== "--by" && flag !== "--note") || !value?.trim()) throw new Error(USAGE);
    flags.set(flag, value);
  }
  const by = flags.get("--by");
  const note = flags.get("--note");
  if (!by) throw new Error(`--by is required\n${USAGE}`);
  // A skipped event is never published: the record says why.
  if (command === "skip" && !note) throw new Error(`skip needs --note saying why\n${USAGE}`);
  return { command, aggregateKey, by, ...(note ? { note } : {}) };
}

function parkedLine(parked: ParkedAggregate): string {
  const release = parked.release ? `  ${parked.release} requested` : "";
  return `  ${parked.aggregateKey}  behind outbox row ${parked.outboxId} (${parked.eventType} ${parked.eventId})  parked ${parked.parkedAt.toISOString()}${release}\n      ${parked.reason}`;
}

async function main(): Promise<void> {
  const command = parseArguments(process.argv.slice(2));
  const url = process.env.DATABASE_URL?.trim();
  if (!url) throw new Error("DATABASE_URL is required");
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
  try {
    if (command.command === "list") {
      const parked = await listParked(pool);
      const count = `${parked.length} parked aggregate${parked.length === 1 ? "" : "s"}`;
      process.stdout.write(`${[count, ...parked.map(parkedLine)].join("\n")}\n`);
      return;
    }
    const { command: action, ...request } = command;
    const released = await releaseParked(pool, { ...request, action });
    process.stdout.write(
      released
        ? `${command.aggregateKey}: ${action} requested; its relay acts within a few seconds\n`
        : `${command.aggregateKey} is not parked\n`,
    );
    if (!released) process.exitCode = 1;
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`parked: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
