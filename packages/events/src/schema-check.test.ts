import { describe, expect, it } from "vitest";
import { checkSchemas } from "./schema-check.js";
import type { SchemaSource } from "./schema-loader.js";
import { DEFAULT_SCHEMAS_DIR, readSchemaSources } from "./schema-sources.js";

const repository = readSchemaSources(DEFAULT_SCHEMAS_DIR);
const PATH = "payment/PaymentProcessed.avsc";

interface Field {
  name: string;
  type: unknown;
  doc: string;
  default?: unknown;
}

/** The repository's schemas with one file's fields edited. */
function edit(path: string, change: (fields: Field[]) => Field[]): SchemaSource[] {
  return repository.map((source) => {
    if (source.path !== path) return source;
    const schema = JSON.parse(source.text) as { fields: Field[] };
    return { path, text: JSON.stringify({ ...schema, fields: change(schema.fields) }, null, 2) };
  });
}
const messages = (report: ReturnType<typeof checkSchemas>) =>
  report.problems.map((p) => `${p.path}: ${p.message}`);

describe("schemas:check", () => {
  it("passes when nothing changed", () => {
    const report = checkSchemas(repository, repository);
    expect(report).toMatchObject({ schemas: 17, changed: [], added: [], removed: [], problems: [] });
  });

  it("accepts adding an optional field with a default", () => {
    const report = checkSchemas(
      repository,
      edit(PATH, (fields) => [
        ...fields,
        { name: "provider", type: ["null", "string"], default: null, doc: "Who charged it." },
      ]),
    );
    expect(report.problems).toEqual([]);
    expect(report.changed).toEqual([PATH]);
  });

  it("accepts removing a field that has a default", () => {
    const path = "payment/PaymentFailed.avsc";
    const report = checkSchemas(
      repository,
      edit(path, (fields) => fields.filter((f) => f.name !== "detail")),
    );
    expect(report.problems).toEqual([]);
    expect(report.changed).toEqual([path]);
  });

  it("rejects removing a field without a default", () => {
    const report = checkSchemas(
      repository,
      edit(PATH, (fields) => fields.filter((f) => f.name !== "paymentId")),
    );
    expect(messages(report)).toEqual([
      expect.stringMatching(
        /^payment\/PaymentProcessed\.avsc: field herald\.payment\.PaymentProcessed\.paymentId was removed but has no default/,
      ),
    ]);
  });

  it("rejects changing a field's type", () => {
    const report = checkSchemas(
      repository,
      edit(PATH, (fields) => fields.map((f) => (f.name === "paymentId" ? { ...f, type: "long" } : f))),
    );
    expect(messages(report)).toEqual([
      expect.stringMatching(
        /^payment\/PaymentProcessed\.avsc: not BACKWARD compatible: .*"string" as "long"/,
      ),
    ]);
  });

  it("rejects adding a field without a default", () => {
    const report = checkSchemas(
      repository,
      edit(PATH, (fields) => [...fields, { name: "provider", type: "string", doc: "Who charged it." }]),
    );
    expect(messages(report)).toEqual([
      expect.stringMatching(/^payment\/PaymentProcessed\.avsc: not BACKWARD compatible: .*provider/),
    ]);
  });

  it("checks every event that uses a changed shared type", () => {
    const report = checkSchemas(
      repository,
      edit("common/Money.avsc", (fields) =>
        fields.map((f) => (f.name === "amountMinor" ? { ...f, type: "string" } : f)),
      ),
    );
    const failing = new Set(report.problems.map((p) => p.path));
    expect(failing).toContain("common/Money.avsc");
    expect(failing).toContain("payment/PaymentProcessed.avsc");
    expect(failing).toContain("order/OrderPlaced.avsc");
    expect(failing).not.toContain("common/Metadata.avsc");
  });

  it("reports a schema that does not parse, and added and removed files", () => {
    const current = [
      ...repository.filter((source) => source.path !== "email/EmailFailed.avsc"),
      { path: "email/EmailBounced.avsc", text: "{" },
    ];
    const report = checkSchemas(repository, current);
    expect(messages(report)).toEqual([expect.stringMatching(/^email\/EmailBounced\.avsc: not JSON/)]);
    expect(report.removed).toEqual(["email/EmailFailed.avsc"]);
  });

  it("treats every schema as added when the base has none", () => {
    const report = checkSchemas([], repository);
    expect(report.problems).toEqual([]);
    expect(report.added).toHaveLength(17);
  });
});
