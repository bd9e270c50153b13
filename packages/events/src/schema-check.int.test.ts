import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SCHEMAS_DIR } from "./schema-sources.js";

const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
let repo: string;
let schemas: string;
const file = () => join(schemas, "payment", "PaymentProcessed.avsc");
let original: string;

function git(...args: string[]): void {
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd: repo,
    stdio: "pipe",
  });
}

function check(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [tsx, "--conditions=herald-source", cli, "check", "--schemas", schemas, ...args],
    { encoding: "utf8" },
  );
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

function editFields(change: (fields: Record<string, unknown>[]) => Record<string, unknown>[]): void {
  const schema = JSON.parse(original) as { fields: Record<string, unknown>[] };
  writeFileSync(file(), JSON.stringify({ ...schema, fields: change(schema.fields) }, null, 2));
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "herald-schemas-"));
  schemas = join(repo, "schemas");
  cpSync(DEFAULT_SCHEMAS_DIR, schemas, { recursive: true });
  original = readFileSync(file(), "utf8");
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "schemas");
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("npm run schemas:check", () => {
  it("passes on committed schemas", () => {
    const { code, out } = check();
    expect(out).toContain("17 valid");
    expect(out).toContain("compared with HEAD: 0 changed, 0 added");
    expect(code).toBe(0);
  });

  it("fails naming the file when a field without default is removed", () => {
    editFields((fields) => fields.filter((f) => f.name !== "paymentId"));
    const { code, out } = check();
    expect(out).toMatch(
      /✗ payment\/PaymentProcessed\.avsc: field herald\.payment\.PaymentProcessed\.paymentId was removed/,
    );
    expect(code).toBe(1);
  });

  it("fails when a field changes its type", () => {
    editFields((fields) => fields.map((f) => (f.name === "paymentId" ? { ...f, type: "int" } : f)));
    const { code, out } = check();
    expect(out).toMatch(/✗ payment\/PaymentProcessed\.avsc: not BACKWARD compatible/);
    expect(code).toBe(1);
  });

  it("accepts an added optional field with a default", () => {
    editFields((fields) => [
      ...fields,
      { name: "provider", type: ["null", "string"], default: null, doc: "Who." },
    ]);
    const { code, out } = check();
    expect(out).toContain("1 changed (payment/PaymentProcessed.avsc)");
    expect(code).toBe(0);
  });

  it("compares with the revision given by --base", () => {
    editFields((fields) => fields.map((f) => (f.name === "paymentId" ? { ...f, type: "int" } : f)));
    git("commit", "-q", "-am", "incompatible");
    expect(check().code).toBe(0);
    const { code, out } = check("--base", "HEAD~1");
    expect(out).toMatch(/compared with HEAD~1: 1 changed/);
    expect(code).toBe(1);
    expect(check("--base", "no-such-revision")).toMatchObject({
      code: 1,
      out: expect.stringMatching(/not a commit/),
    });
  });
});
