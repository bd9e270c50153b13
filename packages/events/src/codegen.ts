import type avro from "avsc";
import { EventsError } from "./errors.js";
import { type LoadedSchema, namedTypes, type RecordType, shortName } from "./schema-loader.js";

/** A file of `src/generated/`, by name. */
export interface GeneratedFile {
  readonly name: string;
  readonly content: string;
}

const HEADER =
  "// Generated from schemas/ by `npm run codegen`; do not edit. A unit test fails when this file and the\n" +
  "// schemas disagree.\n";
const WIDTH = 110;

/** TypeScript for the schemas: `types.ts` (one type per named Avro type) and `schemas.ts` (the schemas). */
export function generate(schemas: readonly LoadedSchema[]): GeneratedFile[] {
  const ordered = [...schemas].sort(
    (a, b) => Number(a.kind === "event") - Number(b.kind === "event") || a.path.localeCompare(b.path),
  );
  const events = ordered.filter((schema) => schema.kind === "event");
  const emitted = new Set<string>();
  const blocks: string[] = [];
  for (const schema of ordered) {
    for (const type of namedTypes(schema.type)) {
      const fullName = type.name ?? "";
      if (emitted.has(fullName)) continue;
      emitted.add(fullName);
      blocks.push(declaration(type));
    }
  }

  const types = [
    HEADER,
    blocks.join("\n"),
    "/** Every event type: one per schema outside `schemas/common`. */",
    `export const EVENT_TYPES = [\n${events.map((e) => `  ${JSON.stringify(e.name)},\n`).join("")}] as const;`,
    "export type EventType = (typeof EVENT_TYPES)[number];",
    "",
    "/** The data of each event type. */",
    "export interface EventData {",
    ...events.map((e) => `  ${e.name}: ${e.name};`),
    "}",
    "",
  ].join("\n");

  const entries = events.map((e) => {
    const schema = JSON.stringify(e.schema, null, 2).replaceAll("\n", "\n    ");
    return [
      `  ${e.name}: {`,
      `    fullName: ${JSON.stringify(e.fullName)},`,
      `    domain: ${JSON.stringify(e.domain)},`,
      `    schema: ${schema},`,
      "  },",
    ].join("\n");
  });
  const schemaFile = [
    HEADER,
    'import type { Schema } from "avsc";',
    'import type { EventType } from "./types.js";',
    "",
    "export interface EventSchema {",
    "  /** The Avro full name, `herald.<domain>.<EventType>`. */",
    "  readonly fullName: string;",
    "  /** The folder below `schemas/`: the owning service. */",
    "  readonly domain: string;",
    "  /** Self-contained: the shared types it uses are inlined. */",
    "  readonly schema: Schema;",
    "}",
    "",
    "/** Each event's Avro schema, as registered under its subject. */",
    "export const EVENT_SCHEMAS: Readonly<Record<EventType, EventSchema>> = {",
    ...entries,
    "};",
    "",
  ].join("\n");

  return [
    { name: "types.ts", content: types },
    { name: "schemas.ts", content: schemaFile },
  ];
}

function declaration(type: avro.Type): string {
  const name = shortName(type.name ?? "");
  const doc = jsDoc(type.doc, "");
  switch (type.typeName) {
    case "record":
    case "error": {
      const fields = (type as RecordType).fields.map(
        (field) => `${jsDoc(field.doc, "  ")}  ${field.name}: ${tsType(field.type)};\n`,
      );
      return `${doc}export interface ${name} {\n${fields.join("")}}\n`;
    }
    case "enum": {
      const symbols = (type as avro.types.EnumType).symbols;
      const constant = `${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_SYMBOLS`;
      return (
        `${jsDoc(`The symbols of {@link ${name}}, in schema order.`, "")}` +
        `export const ${constant} = [${symbols.map((s) => JSON.stringify(s)).join(", ")}] as const;\n` +
        `${doc}export type ${name} = (typeof ${constant})[number];\n`
      );
    }
    case "fixed":
      return `${doc}export type ${name} = Buffer;\n`;
    default:
      throw new EventsError("EVENTS_INVALID_SCHEMA", `cannot generate a declaration for ${type.typeName}`);
  }
}

function tsType(type: avro.Type): string {
  if (type.name) return shortName(type.name);
  const t = type as avro.Type & { itemsType?: avro.Type; valuesType?: avro.Type; types?: avro.Type[] };
  switch (type.typeName) {
    case "null":
      return "null";
    case "boolean":
      return "boolean";
    case "int":
    case "long":
    case "float":
    case "double":
      return "number";
    case "bytes":
      return "Buffer";
    case "string":
      return "string";
    case "array": {
      const items = tsType(t.itemsType!);
      return items.includes(" ") ? `(${items})[]` : `${items}[]`;
    }
    case "map":
      return `Record<string, ${tsType(t.valuesType!)}>`;
    case "union:unwrapped": {
      const branches = (t.types ?? []).map(tsType);
      // Schemas write `["null", T]`; TypeScript reads better as `T | null`.
      return [...branches.filter((b) => b !== "null"), ...branches.filter((b) => b === "null")].join(" | ");
    }
    default:
      throw new EventsError("EVENTS_INVALID_SCHEMA", `no TypeScript type for Avro ${type.typeName}`);
  }
}

function jsDoc(text: string | undefined, indent: string): string {
  if (!text) return "";
  const clean = text.replaceAll("*/", "*\\/").replace(/\s+/g, " ").trim();
  if (indent.length + clean.length + 7 <= WIDTH) return `${indent}/** ${clean} */\n`;
  const lines: string[] = [];
  let line = "";
  for (const word of clean.split(" ")) {
    if (line && indent.length + 3 + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}\n`).join("")}${indent} */\n`;
}
