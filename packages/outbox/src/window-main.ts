import { parseArgs } from "node:util";
import {
  formatWindow,
  type GroupFacts,
  type GroupOnTopic,
  windowReport,
  windowSubjects,
} from "@herald/events/window";
import { type Admin, AssignerProtocol, Kafka, logLevel, type SASLOptions } from "kafkajs";
import { kafkaLoginFromEnvironment } from "./relay-config.js";

// `npm run schemas:window -- --from <old subject> --to <new subject>`: during a breaking change's
// migration window, which consumer groups still read the old version. The subjects' versions come
// from the registry ($SCHEMA_REGISTRY_URL or --registry); each group's committed offsets and its
// members' assignments on the two subjects' topics from Kafka (KAFKA_BROKERS and the login as the
// services read it: KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL), as a
// principal that may describe every group. Exit status: 0 when the window can close, 3 while a
// group still reads the old version, 1 on an error, 2 on a usage error.

const USAGE = "usage: npm run schemas:window -- --from <old subject> --to <new subject> [--registry <url>]";
const LOCAL_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";

function usage(message?: string): never {
  process.stderr.write(`${message ? `${message}\n` : ""}${USAGE}\n`);
  process.exit(2);
}

/** A group's committed offsets on `topic` against the topic's ends. */
async function committed(admin: Admin, groupId: string, topic: string, ends: Map<number, number>) {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let committedPartitions = 0;
  let lag = 0;
  for (const { partition, offset } of offsets?.partitions ?? []) {
    if (Number(offset) < 0) continue;
    committedPartitions++;
    lag += Math.max(0, (ends.get(partition) ?? 0) - Number(offset));
  }
  return { committedPartitions, lag };
}

async function topicEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } catch (error) {
    throw new Error(`topic ${topic} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

async function main(): Promise<number> {
  let values: { from?: string; to?: string; registry?: string };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { from: { type: "string" }, to: { type: "string" }, registry: { type: "string" } },
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (!values.from || !values.to) usage();
  const registry = values.registry ?? process.env.SCHEMA_REGISTRY_URL ?? LOCAL_REGISTRY;
  const { from, to } = await windowSubjects(registry, values.from, values.to);

  const problems: string[] = [];
  const { sasl, ssl } = kafkaLoginFromEnvironment(process.env, problems);
  const brokers = process.env.KAFKA_BROKERS?.trim();
  if (!brokers) problems.push("KAFKA_BROKERS is required");
  if (problems.length > 0) throw new Error(problems.join("; "));
  const kafka = new Kafka({
    ...(sasl ? { sasl: { ...sasl } as SASLOptions } : {}),
    ...(ssl ? { ssl: true } : {}),
    clientId: "herald-schemas-window",
    brokers: brokers!.split(",").map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [oldEnds, newEnds] = [await topicEnds(admin, from.topic), await topicEnds(admin, to.topic)];
    const groupIds = (await admin.listGroups()).groups
      // Consumer groups, and groups that only ever committed offsets (no protocol), not Connect's.
      .filter((group) => group.protocolType === "consumer" || group.protocolType === "")
      .map((group) => group.groupId);
    const described = groupIds.length ? (await admin.describeGroups(groupIds)).groups : [];
    const facts: GroupFacts[] = [];
    for (const group of described) {
      const members = (topic: string) =>
        group.members.filter((member) => {
          if (!member.memberAssignment?.length) return false;
          const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment;
          return (assignment?.[topic]?.length ?? 0) > 0;
        }).length;
      const side = async (topic: string, ends: Map<number, number>): Promise<GroupOnTopic> => ({
        ...(await committed(admin, group.groupId, topic, ends)),
        members: members(topic),
      });
      facts.push({
        groupId: group.groupId,
        old: await side(from.topic, oldEnds),
        new: await side(to.topic, newEnds),
      });
    }
    const report = windowReport(from, to, facts);
    process.stdout.write(`${formatWindow(report)}\n`);
    return report.stillOnOld.length === 0 ? 0 : 3;
  } finally {
    await admin.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`schemas:window: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
