import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import pg from "pg";
import { type DeadLetter, listDeadLetters, redriveDeadLetters } from "./dlq.js";
import type { ParkedKey } from "./parked-keys.js";
import { kafkaLoginFromEnvironment } from "./relay-config.js";

// `npm run dlq -- list|redrive <group> [--dlq-topic <topic>]`: an operator's view of a consumer
// group's dead-letter topic and parked keys, and the redrive. Configured by KAFKA_BROKERS and
// DATABASE_URL (the consumer's database, whose search_path holds its inbox and parked keys), and
// the Kafka login (KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL) as the services
// read it. Redriving writes to other services' topics: run it as an operator principal.

const USAGE = "usage: npm run dlq -- list|redrive <consumer-group> [--dlq-topic <topic>]";

function parseArguments(args: readonly string[]): {
  command: "list" | "redrive";
  groupId: string;
  deadLetterTopic?: string;
} {
  const [command, groupId, ...rest] = args;
  if ((command !== "list" && command !== "redrive") || !groupId || groupId.startsWith("-"))
    throw new Error(USAGE);
  if (rest.length === 0) return { command, groupId };
  if (rest.length === 2 && rest[0] === "--dlq-topic" && rest[1])
    return { command, groupId, deadLetterTopic: rest[1] };
  throw new Error(USAGE);
}

function environment(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function parkedLine(parked: ParkedKey): string {
  const redrive = parked.redriveToken ? `  redrive ${parked.redriveToken} under way` : "";
  return `  ${parked.key}  parked ${parked.parkedAt.toISOString()}  ${parked.errorCode}  from ${parked.topic}[${parked.partition}]@${parked.offset}${redrive}`;
}

function letterLine(letter: DeadLetter): string {
  const cause = letter.causeCode ? ` (${letter.causeCode})` : "";
  const event = letter.eventType ? `  ${letter.eventType} ${letter.eventId ?? ""}` : "";
  return `  dlq[${letter.dlqPartition}]@${letter.dlqOffset}  key ${letter.key ?? "-"}  from ${letter.topic}[${letter.partition}]@${letter.offset}  ${letter.errorCode}${cause}  at ${letter.failedAt}${event}\n      ${letter.errorMessage}`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

async function main(): Promise<void> {
  const { command, groupId, deadLetterTopic } = parseArguments(process.argv.slice(2));
  const problems: string[] = [];
  const { sasl, ssl } = kafkaLoginFromEnvironment(process.env, problems);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const kafka = new Kafka({
    ...(sasl ? { sasl: { ...sasl } as SASLOptions } : {}),
    ...(ssl ? { ssl: true } : {}),
    clientId: "herald-dlq",
    brokers: environment("KAFKA_BROKERS")
      .split(",")
      .map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
  });
  const pool = new pg.Pool({ connectionString: environment("DATABASE_URL"), max: 2 });
  try {
    const options = { kafka, pool, groupId, ...(deadLetterTopic ? { deadLetterTopic } : {}) };
    if (command === "list") {
      const { parkedKeys, pending } = await listDeadLetters(options);
      const lines = [
        `${plural(parkedKeys.length, "parked key")} of ${groupId}`,
        ...parkedKeys.map(parkedLine),
        `${plural(pending.length, "dead letter")} of ${groupId} not yet redriven`,
        ...pending.map(letterLine),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    } else {
      const { redriven, releasing } = await redriveDeadLetters(options);
      const released = releasing.length > 0 ? `; released once handled: ${releasing.join(", ")}` : "";
      process.stdout.write(
        `redrove ${plural(redriven, "dead letter")} of ${groupId} to their topics, ${plural(releasing.length, "parked key")} marked${released}\n`,
      );
    }
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`dlq: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
