/**
 * A migration window: a breaking change goes out under a new subject, published in parallel with
 * the old one, until every consumer group reads the new one. What is registered is the registry's
 * business, who reads what is Kafka's: each group's committed offsets and its members' assignments
 * on the old and the new subject's topics. This module decides from those facts; the Kafka side is
 * gathered by the `schemas:window` command.
 */

/** A subject of the TopicRecordName strategy, `<topic>-<record full name>`, and its registered versions. */
export interface WindowSubject {
  readonly subject: string;
  readonly topic: string;
  readonly record: string;
  readonly versions: readonly number[];
}

/** What Kafka says about one consumer group and one of the window's topics. */
export interface GroupOnTopic {
  /** Partitions of the topic the group has committed an offset for. */
  readonly committedPartitions: number;
  /** Messages after its committed offsets, summed over those partitions. */
  readonly lag: number;
  /** Live members assigned partitions of the topic. */
  readonly members: number;
}

export interface GroupFacts {
  readonly groupId: string;
  readonly old: GroupOnTopic;
  readonly new: GroupOnTopic;
}

export interface GroupVerdict extends GroupFacts {
  /** `old` while the group reads the old subject's topic; `new` once it reads only the new one. */
  readonly reads: "old" | "new";
}

export interface WindowReport {
  readonly from: WindowSubject;
  readonly to: WindowSubject;
  /** Every group that has read either topic, by name. */
  readonly groups: readonly GroupVerdict[];
  /** The groups that still read the old version: the window stays open while there is one. */
  readonly stillOnOld: readonly string[];
}

const RECORD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Splits a subject into its topic and record (record names hold no `-`, topic names may). */
export function parseSubject(subject: string): { topic: string; record: string } {
  const cut = subject.lastIndexOf("-");
  const topic = subject.slice(0, cut);
  const record = subject.slice(cut + 1);
  if (cut <= 0 || !RECORD.test(record))
    throw new Error(
      `"${subject}" is not a subject of the form <topic>-<record full name> (e.g. orders-herald.order.OrderPlaced)`,
    );
  return { topic, record };
}

/**
 * A group reads the old version while a live member is assigned the old topic, or when it has
 * committed on the old topic and not yet on the new one (its members are down, and will come back
 * on the old topic). It has moved once it reads the new topic and no member of it reads the old.
 */
export function windowReport(
  from: WindowSubject,
  to: WindowSubject,
  facts: readonly GroupFacts[],
): WindowReport {
  if (from.topic === to.topic)
    throw new Error(
      `both subjects are on topic "${from.topic}": a breaking change goes out on a topic of its own, so a group's offsets say which version it reads`,
    );
  const groups = facts
    .filter(
      (group) =>
        group.old.committedPartitions +
          group.old.members +
          group.new.committedPartitions +
          group.new.members >
        0,
    )
    .map((group): GroupVerdict => {
      const onOld =
        group.old.members > 0 ||
        (group.old.committedPartitions > 0 && group.new.committedPartitions === 0 && group.new.members === 0);
      return { ...group, reads: onOld ? "old" : "new" };
    })
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
  return {
    from,
    to,
    groups,
    stillOnOld: groups.filter((group) => group.reads === "old").map((group) => group.groupId),
  };
}

/** The report as an operator reads it. */
export function formatWindow(report: WindowReport): string {
  const side = (label: string, s: WindowSubject) =>
    `${label} ${s.subject}  (topic ${s.topic}, versions ${s.versions.join(", ")})`;
  const onTopic = (t: GroupOnTopic) =>
    t.committedPartitions === 0 && t.members === 0
      ? "-"
      : `${t.members} member${t.members === 1 ? "" : "s"}, lag ${t.lag}`;
  const rows = [
    ["group", "reads", `old: ${report.from.topic}`, `new: ${report.to.topic}`],
    ...report.groups.map((g) => [g.groupId, g.reads, onTopic(g.old), onTopic(g.new)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
  const n = report.stillOnOld.length;
  const verdict =
    n === 0
      ? `no group reads the old version: the window can close (stop publishing ${report.from.subject}, then delete the subject once the retention of ${report.from.topic} has passed)`
      : `${n} group${n === 1 ? "" : "s"} still read${n === 1 ? "s" : ""} the old version (${report.stillOnOld.join(", ")}): keep publishing both`;
  return [side("old", report.from), side("new", report.to), "", ...table, "", verdict].join("\n");
}

/** The versions registered under `subject` (Confluent API); a subject the registry lacks is an error naming it. */
export async function registeredVersions(registryUrl: string, subject: string): Promise<number[]> {
  const url = `${registryUrl.replace(/\/+$/, "")}/subjects/${encodeURIComponent(subject)}/versions`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`the registry at ${registryUrl} is unreachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status === 404) throw new Error(`subject ${subject} is not registered at ${registryUrl}`);
  if (!response.ok)
    throw new Error(`the registry answered ${response.status} for ${subject}: ${await response.text()}`);
  return (await response.json()) as number[];
}

/** Both subjects with their registered versions. */
export async function windowSubjects(
  registryUrl: string,
  from: string,
  to: string,
): Promise<{ from: WindowSubject; to: WindowSubject }> {
  const load = async (subject: string): Promise<WindowSubject> => ({
    subject,
    ...parseSubject(subject),
    versions: await registeredVersions(registryUrl, subject),
  });
  return { from: await load(from), to: await load(to) };
}
