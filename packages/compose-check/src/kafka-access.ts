import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  KAFKA_ADMIN_LOGIN,
  type KafkaGrant,
  kafkaGrants,
  kafkaLogin,
  provisionedTopics,
  SERVICE_NAMES,
} from "@herald/dev-stack";
import { repoRoot } from "@herald/dev-stack/compose";

/** What compose's kafka-init applies (packages/dev-stack/compose/init-kafka.sh reads it). */
export const KAFKA_ACCESS_FILE = join(repoRoot, "packages", "dev-stack", "compose", "kafka-access.txt");

const HEADER = `# Kafka access of the compose stack: the SCRAM users, topics and ACLs that kafka-init
# (init-kafka.sh) provisions. Generated from the services' package.json (what each writes and reads,
# through the dev stack's kafkaGrants and provisionedTopics) and the dev stack's logins, the same source the native broker is provisioned from. Do not edit: run
# \`npm run compose:files\`; a unit test fails while this file is out of step.
`;

/** The access file's text as the contract derives it today. */
export function renderKafkaAccess(grants: readonly KafkaGrant[] = kafkaGrants()): string {
  const users = [KAFKA_ADMIN_LOGIN, ...SERVICE_NAMES.map(kafkaLogin)].map(
    (login) => `user ${login.username}`,
  );
  const topics = provisionedTopics().map((topic) => `topic ${topic}`);
  return `${HEADER}${[...users, ...topics, ...aclCommands(grants).map((args) => `acl ${args}`)].join("\n")}\n`;
}

/**
 * kafka-acls.sh arguments for `grants`, one command per principal, pattern type and set of
 * operations (the tool applies every operation to every resource named), so each grant's
 * operations reach exactly its resources.
 */
export function aclCommands(grants: readonly KafkaGrant[]): string[] {
  const commands = new Map<string, string[]>();
  for (const grant of grants) {
    const operations = [...grant.operations].sort();
    const key = `--allow-principal ${grant.principal} --resource-pattern-type ${grant.pattern}${operations
      .map((operation) => ` --operation ${operation[0]?.toUpperCase()}${operation.slice(1)}`)
      .join("")}`;
    commands.set(key, [...(commands.get(key) ?? []), `--${grant.resource} ${grant.name}`]);
  }
  return [...commands].map(([key, resources]) => `${key} ${resources.join(" ")}`);
}

/** The committed access file. */
export function committedKafkaAccess(): string {
  return readFileSync(KAFKA_ACCESS_FILE, "utf8");
}
