import { describe, expect, it } from "vitest";
import { loadSchemas, type SchemaSource } from "./schema-loader.js";
import { DEFAULT_SCHEMAS_DIR, readSchemaSources } from "./schema-sources.js";

const money = {
  type: "record",
  name: "Money",
  namespace: "herald.common",
  doc: "Money.",
  fields: [
    { name: "amountMinor", type: "long", doc: "Minor units." },
    { name: "currency", type: "string", doc: "ISO 4217." },
  ],
};
const metadata = {
  type: "record",
  name: "Metadata",
  namespace: "herald.common",
  doc: "Metadata.",
  fields: [{ name: "eventId", type: "string", doc: "Id." }],
};
const source = (path: string, schema: unknown): SchemaSource => ({ path, text: JSON.stringify(schema) });
const event = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "record",
  name: "Paid",
  namespace: "herald.payment",
  doc: "Paid.",
  fields: [{ name: "metadata", type: "herald.common.Metadata", doc: "Metadata." }, ...fields],
  ...extra,
});
const load = (...extra: SchemaSource[]) =>
  loadSchemas([source("common/Money.avsc", money), source("common/Metadata.avsc", metadata), ...extra]);

describe("loading schemas", () => {
  it("loads the repository's schemas without a problem", () => {
    const { schemas, problems } = loadSchemas(readSchemaSources(DEFAULT_SCHEMAS_DIR));
    expect(problems).toEqual([]);
    expect(schemas.filter((schema) => schema.kind === "event")).toHaveLength(12);
  });

  it("inlines a shared type where it is first used and refers to it by name afterwards", () => {
    const { schemas, problems } = load(
      source(
        "payment/Paid.avsc",
        event([
          { name: "amount", type: "herald.common.Money", doc: "Amount." },
          { name: "fee", type: "herald.common.Money", doc: "Fee." },
        ]),
      ),
    );
    expect(problems).toEqual([]);
    const paid = schemas.find((schema) => schema.name === "Paid")!;
    const fields = (paid.schema as { fields: { type: unknown }[] }).fields;
    expect(fields[0]?.type).toMatchObject({ type: "record", name: "Metadata" });
    expect(fields[1]?.type).toMatchObject({ type: "record", name: "Money", namespace: "herald.common" });
    expect(fields[2]?.type).toBe("herald.common.Money");
    expect(
      paid.type.isValid({
        metadata: { eventId: "e" },
        amount: { amountMinor: 1, currency: "EUR" },
        fee: { amountMinor: 0, currency: "EUR" },
      }),
    ).toBe(true);
  });

  it.each([
    ["a field without doc", event([{ name: "amount", type: "long" }]), /amount: every field needs a "doc"/],
    [
      "an optional field without default null",
      event([{ name: "note", type: ["null", "string"], doc: "Note." }]),
      /note: an optional field needs "default": null/,
    ],
    [
      "a union that is not [null, T]",
      event([{ name: "note", type: ["string", "null"], default: "x", doc: "Note." }]),
      /unions are only for optional values/,
    ],
    ["a wrong namespace", event([], { namespace: "herald.order" }), /namespace must be "herald.payment"/],
    ["a name unlike the file's", event([], { name: "Charged" }), /named "Charged" but the file says "Paid"/],
    [
      "a type that does not exist",
      event([{ name: "amount", type: "herald.common.Cash", doc: "Amount." }]),
      /not valid Avro/,
    ],
    [
      "an event without metadata first",
      { ...event([]), fields: [{ name: "orderId", type: "string", doc: "Order." }] },
      /first field must be "metadata"/,
    ],
  ])("rejects %s", (_case, schema, message) => {
    const { problems } = load(source("payment/Paid.avsc", schema));
    expect(problems.map((p) => `${p.path}: ${p.message}`).join("\n")).toMatch(message);
    expect(problems.every((p) => p.path === "payment/Paid.avsc")).toBe(true);
  });

  it("rejects files that are not JSON or not where they belong", () => {
    const { problems } = load({ path: "payment/Paid.avsc", text: "{ nope" }, source("Paid.avsc", event([])));
    expect(problems).toEqual([
      { path: "Paid.avsc", message: expect.stringMatching(/<domain>\/<RecordName>\.avsc/) },
      { path: "payment/Paid.avsc", message: expect.stringMatching(/^not JSON/) },
    ]);
  });

  it("rejects two types with the same short name", () => {
    const { problems } = load(
      source(
        "payment/Paid.avsc",
        event([{ name: "fee", type: { ...money, namespace: "herald.payment" }, doc: "Fee." }]),
      ),
    );
    expect(problems.map((p) => p.message).join("\n")).toMatch(
      /herald\.payment\.Money has the same short name as herald\.common\.Money/,
    );
  });
});
