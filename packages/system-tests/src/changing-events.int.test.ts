import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brokerEnvironment, quietKafka, testInfra, uniqueName, withAdmin } from "@herald/dev-stack/testing";
import { createEventSerde, EVENT_SCHEMAS } from "@herald/events";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTACT, type Field } from "./fixtures/builds.js";

/**
 * Runs the commands of docs/changing-events.md and checks their output against the chapter. Each
 * `console` block follows a `<!-- doc-test: <state> -->` comment naming the state it is run in: a
 * copy of schemas/ (as a repository of its own) with the chapter's change, or topics, subjects and
 * consumer groups of this run's own, which stand in for the chapter's names in commands and output.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CHAPTER = readFileSync(join(ROOT, "docs/changing-events.md"), "utf8");
const DOC_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";

const infra = testInfra();
const kafka = quietKafka(infra, "changing-events-doc");
const topic = uniqueName("doc-orders");
const moved = uniqueName("doc-inventory");
const lagging = uniqueName("doc-payment");
/** The chapter's names and this run's stand-ins, longest first. */
const names: [string, string][] = [
  [`orders.v2`, `${topic}.v2`],
  [`orders`, topic],
  [`inventory-service`, moved],
  [`payment-service`, lagging],
];
const subjects = [`${topic}-herald.order.OrderPlaced`, `${topic}.v2-herald.order.OrderPlacedV2`];
let schemasDir: string;

interface Example {
  state: string;
  command: string;
  exitCode: number;
  output: string[];
}

/** Every `<!-- doc-test: state -->` console block: its command, expected exit status and output. */
function examples(): Example[] {
  const found: Example[] = [];
  const pattern = /<!-- doc-test: ([a-z-]+) -->\n```console\n([\s\S]*?)```/g;
  for (const [, state = "", body = ""] of CHAPTER.matchAll(pattern)) {
    const [first = "", ...output] = body.trimEnd().split("\n");
    const match = /^\$ (.*?)(?: # exits (\d+))?$/.exec(first);
    if (!match) throw new Error(`the doc-test block "${state}" does not start with "$ <command>"`);
    found.push({ state, command: match[1]!, exitCode: Number(match[2] ?? 0), output });
  }
  return found;
}

/** A copy of schemas/ committed in a repository of its own, so `schemas:check` compares with it. */
function copySchemas(): string {
  const dir = mkdtempSync(join(tmpdir(), "herald-schemas-"));
  cpSync(join(ROOT, "schemas"), dir, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=doc-test", "-c", "user.email=doc-test@herald.local", "commit", "-q", "-m", "schemas");
  return dir;
}

const orderPlacedPath = () => join(schemasDir, "order/OrderPlaced.avsc");
function editOrderPlaced(edit: (fields: Field[]) => Field[]): void {
  const schema = JSON.parse(readFileSync(orderPlacedPath(), "utf8")) as { fields: Field[] };
  schema.fields = edit(schema.fields);
  writeFileSync(orderPlacedPath(), JSON.stringify(schema, null, 2));
}

/** Puts the world in the state a block is documented in. */
const states: Record<string, () => Promise<void>> = {
  async additive() {
    execFileSync("git", ["checkout", "-q", "--", "."], { cwd: schemasDir });
    // The field exactly as the chapter shows it.
    const field = /```json\n([\s\S]*?)```/.exec(CHAPTER)?.[1];
    if (!field) throw new Error("the chapter shows no field to add");
    editOrderPlaced((fields) => [...fields, JSON.parse(field) as Field]);
  },
  async breaking() {
    execFileSync("git", ["checkout", "-q", "--", "."], { cwd: schemasDir });
    editOrderPlaced((fields) => fields.map((field) => (field.name === "customerEmail" ? CONTACT : field)));
  },
  async "window-open"() {
    await withAdmin(kafka, async (admin) => {
      await admin.createTopics({
        topics: [{ topic }, { topic: `${topic}.v2` }].map((t) => ({ ...t, numPartitions: 1 })),
        waitForLeaders: true,
      });
      const commit = (groupId: string, on: string) =>
        admin.setOffsets({ groupId, topic: on, partitions: [{ partition: 0, offset: "0" }] });
      await commit(lagging, topic);
      await commit(moved, topic);
      await commit(moved, `${topic}.v2`);
    });
    const registry = new SchemaRegistry({ host: infra.schemaRegistryUrl, clientId: "changing-events-doc" });
    const v1 = EVENT_SCHEMAS.OrderPlaced.schema as unknown as { name: string };
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: subjects[0]! });
    await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ ...v1, name: "OrderPlacedV2" }) },
      { subject: subjects[1]! },
    );
  },
  async "window-closed"() {
    await withAdmin(kafka, (admin) =>
      admin.setOffsets({
        groupId: lagging,
        topic: `${topic}.v2`,
        partitions: [{ partition: 0, offset: "0" }],
      }),
    );
  },
};

const toRun = (text: string) =>
  names
    .reduce((out, [doc, ours]) => out.replaceAll(`${doc}-herald`, `${ours}-herald`), text)
    .replaceAll(DOC_REGISTRY, infra.schemaRegistryUrl);
const toDoc = (text: string) =>
  names
    .reduce((out, [doc, ours]) => out.replaceAll(ours, doc), text)
    .replace(/ +/g, " ")
    .trim();

function run(command: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "sh",
      // One stream, in the order the command wrote it, as a terminal shows it.
      ["-c", `exec 2>&1; ${command}`],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          HERALD_SCHEMAS_DIR: schemasDir,
          ...brokerEnvironment(infra),
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

beforeAll(async () => {
  schemasDir = copySchemas();
  // This build's subjects, as every service registers them at start.
  await createEventSerde({ registryUrl: infra.schemaRegistryUrl }).register();
});

afterAll(async () => {
  if (schemasDir) rmSync(schemasDir, { recursive: true, force: true });
  await withAdmin(kafka, async (admin) => {
    await admin.deleteGroups([moved, lagging]).catch(() => {});
    await admin.deleteTopics({ topics: [topic, `${topic}.v2`] }).catch(() => {});
  });
  for (const subject of subjects) {
    const path = `${infra.schemaRegistryUrl}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: "DELETE" }).catch(() => {});
    await fetch(`${path}?permanent=true`, { method: "DELETE" }).catch(() => {});
  }
});

describe("docs/changing-events.md", () => {
  const blocks = examples();

  it("has a doc-test for every state it documents", () => {
    expect(blocks.map((block) => block.state)).toEqual([
      "additive",
      "breaking",
      "window-open",
      "window-closed",
    ]);
  });

  for (const block of blocks)
    it(`${block.state}: ${block.command}`, async () => {
      const prepare = states[block.state];
      if (!prepare) throw new Error(`no state "${block.state}"`);
      await prepare();
      const { code, output } = await run(toRun(block.command));
      const lines = output.split("\n").map(toDoc);
      let from = 0;
      for (const expected of block.output.map(toDoc)) {
        const at = lines.indexOf(expected, from);
        expect(at, `"${expected}" in:\n${lines.join("\n")}`).toBeGreaterThanOrEqual(0);
        from = at + 1;
      }
      expect(code, output).toBe(block.exitCode);
    });
});
