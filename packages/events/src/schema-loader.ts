import avro from "avsc";
import { EventsError } from "./errors.js";

/** A schema file's text and its path below `schemas/` (`<domain>/<Name>.avsc`, forward slashes). */
export interface SchemaSource {
  readonly path: string;
  readonly text: string;
}

export interface LoadedSchema {
  readonly path: string;
  /** The folder: the owning service, or `common` for types events share. */
  readonly domain: string;
  readonly name: string;
  readonly fullName: string;
  /** `shared` for `common/` types that events refer to by full name; `event` for everything else. */
  readonly kind: "shared" | "event";
  /** The schema with every shared type it uses inlined: self-contained, as registered. */
  readonly schema: avro.Schema;
  readonly type: avro.Type;
}

export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

export interface SchemaSet {
  readonly schemas: readonly LoadedSchema[];
  readonly problems: readonly SchemaProblem[];
}

export const SHARED_DOMAIN = "common";
const METADATA = "herald.common.Metadata";
const PATH_PATTERN = /^([a-z][a-z0-9-]*)\/([A-Z][A-Za-z0-9]*)\.avsc$/;
const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAMED = new Set(["record", "error", "enum", "fixed"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * Parses and checks every schema file: valid Avro once shared types are inlined, one named type per
 * file named like the file, namespace `herald.<domain>`, documented types and fields, optional values
 * as `["null", T]` with default null, events starting with `metadata`. Collects every problem.
 */
export function loadSchemas(sources: readonly SchemaSource[]): SchemaSet {
  const problems: SchemaProblem[] = [];
  const parsed: { source: SchemaSource; domain: string; name: string; raw: JsonObject }[] = [];
  for (const source of [...sources].sort((a, b) => a.path.localeCompare(b.path))) {
    const report = (message: string) => problems.push({ path: source.path, message });
    const match = PATH_PATTERN.exec(source.path);
    if (!match) {
      report("schema files live at <domain>/<RecordName>.avsc (lower-case folder, PascalCase name)");
      continue;
    }
    const [, domain = "", name = ""] = match;
    let raw: Json;
    try {
      raw = JSON.parse(source.text) as Json;
    } catch (error) {
      report(`not JSON: ${(error as Error).message}`);
      continue;
    }
    if (!isObject(raw) || typeof raw.type !== "string" || !NAMED.has(raw.type)) {
      report("the file must hold one named type (record, enum or fixed)");
      continue;
    }
    if (raw.name !== name) report(`the type is named "${String(raw.name)}" but the file says "${name}"`);
    if (raw.namespace !== `herald.${domain}`) report(`namespace must be "herald.${domain}"`);
    if (domain !== SHARED_DOMAIN && raw.type !== "record") report("an event must be a record");
    for (const message of lint(raw, name)) report(message);
    parsed.push({ source, domain, name, raw });
  }

  const shared = new Map<string, JsonObject>();
  for (const file of parsed)
    if (file.domain === SHARED_DOMAIN) shared.set(`herald.${file.domain}.${file.name}`, file.raw);

  const schemas: LoadedSchema[] = [];
  for (const { source, domain, name, raw } of parsed) {
    const schema = inline(raw, shared, new Set(), "") as avro.Schema;
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(schema);
    } catch (error) {
      problems.push({ path: source.path, message: `not valid Avro: ${(error as Error).message}` });
      continue;
    }
    const kind = domain === SHARED_DOMAIN ? "shared" : "event";
    if (kind === "event") {
      const first = (type as RecordType).fields?.[0];
      if (first?.name !== "metadata" || first.type.name !== METADATA)
        problems.push({
          path: source.path,
          message: `an event's first field must be "metadata": ${METADATA}`,
        });
    }
    schemas.push({
      path: source.path,
      domain,
      name,
      fullName: `herald.${domain}.${name}`,
      kind,
      schema,
      type,
    });
  }

  // Generated TypeScript names types by their short name, so two types may not share one.
  const owners = new Map<string, { fullName: string; path: string }>();
  for (const loaded of schemas) {
    for (const named of namedTypes(loaded.type)) {
      const fullName = named.name ?? "";
      const short = shortName(fullName);
      const owner = owners.get(short);
      if (!owner) owners.set(short, { fullName, path: loaded.path });
      else if (owner.fullName !== fullName)
        problems.push({
          path: loaded.path,
          message: `type ${fullName} has the same short name as ${owner.fullName} (${owner.path})`,
        });
    }
  }
  return { schemas, problems };
}

/** `loadSchemas` for code generation and runtime: any problem is an `EVENTS_INVALID_SCHEMA` error. */
export function loadSchemasOrThrow(sources: readonly SchemaSource[]): readonly LoadedSchema[] {
  const { schemas, problems } = loadSchemas(sources);
  if (problems.length > 0)
    throw new EventsError(
      "EVENTS_INVALID_SCHEMA",
      `invalid schemas:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
    );
  return schemas;
}

export interface RecordField {
  readonly name: string;
  readonly type: avro.Type;
  readonly doc?: string;
  readonly aliases: string[];
  defaultValue(): unknown;
}
export interface RecordType extends avro.Type {
  readonly fields: RecordField[];
}

/** The named types (records, enums, fixed) reachable from a type, each once, parents first. */
export function namedTypes(root: avro.Type): avro.Type[] {
  const seen = new Map<string, avro.Type>();
  const visit = (type: avro.Type): void => {
    if (type.name) {
      if (seen.has(type.name)) return;
      seen.set(type.name, type);
    }
    for (const child of children(type)) visit(child);
  };
  visit(root);
  return [...seen.values()];
}

function children(type: avro.Type): avro.Type[] {
  const t = type as avro.Type & {
    fields?: RecordField[];
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
  };
  if (t.fields) return t.fields.map((field) => field.type);
  if (t.itemsType) return [t.itemsType];
  if (t.valuesType) return [t.valuesType];
  return t.types ?? [];
}

export function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf(".") + 1);
}

function lint(node: Json, where: string, isField = false, field?: JsonObject): string[] {
  if (Array.isArray(node)) {
    const [first, second, ...rest] = node;
    const problems: string[] = [];
    if (first !== "null" || second === undefined || rest.length > 0)
      problems.push(`${where}: unions are only for optional values, written ["null", T]`);
    else if (isField && (!field || !("default" in field) || field.default !== null))
      problems.push(`${where}: an optional field needs "default": null`);
    for (const branch of node) problems.push(...lint(branch, where));
    return problems;
  }
  if (!isObject(node)) return [];
  const problems: string[] = [];
  if (typeof node.type === "string" && NAMED.has(node.type) && !hasDoc(node))
    problems.push(`${where}: type ${String(node.name)} needs a "doc"`);
  if ((node.type === "record" || node.type === "error") && Array.isArray(node.fields)) {
    for (const f of node.fields) {
      if (!isObject(f)) continue;
      const at = `${where}.${String(f.name)}`;
      if (!hasDoc(f)) problems.push(`${at}: every field needs a "doc"`);
      problems.push(...lint(f.type ?? null, at, true, f));
    }
  }
  if (node.type === "array") problems.push(...lint(node.items ?? null, `${where}[]`));
  if (node.type === "map") problems.push(...lint(node.values ?? null, `${where}{}`));
  if (isObject(node.type) || Array.isArray(node.type))
    problems.push(...lint(node.type, where, isField, field));
  return problems;
}

/**
 * Replaces references to shared types with their definitions, the first time each is used; later
 * uses stay references, as Avro allows a name to be defined once per schema. Walks in Avro's own
 * parse order (fields in order, depth first), so "first" means the same thing to both.
 */
function inline(
  node: Json,
  shared: ReadonlyMap<string, JsonObject>,
  defined: Set<string>,
  namespace: string,
): Json {
  if (typeof node === "string") {
    if (PRIMITIVES.has(node)) return node;
    const fullName = node.includes(".") ? node : namespace ? `${namespace}.${node}` : node;
    const definition = shared.get(fullName);
    if (!definition || defined.has(fullName)) return node;
    return inline(definition, shared, defined, namespace);
  }
  if (Array.isArray(node)) return node.map((branch) => inline(branch, shared, defined, namespace));
  if (!isObject(node)) return node;
  const out: JsonObject = { ...node };
  let inner = namespace;
  if (typeof node.type === "string" && NAMED.has(node.type) && typeof node.name === "string") {
    const name = node.name;
    inner = name.includes(".")
      ? name.slice(0, name.lastIndexOf("."))
      : typeof node.namespace === "string"
        ? node.namespace
        : namespace;
    defined.add(name.includes(".") ? name : inner ? `${inner}.${name}` : name);
  }
  if (Array.isArray(node.fields))
    out.fields = node.fields.map((f) =>
      isObject(f) && f.type !== undefined ? { ...f, type: inline(f.type, shared, defined, inner) } : f,
    );
  if (node.items !== undefined) out.items = inline(node.items, shared, defined, inner);
  if (node.values !== undefined) out.values = inline(node.values, shared, defined, inner);
  if (isObject(node.type) || Array.isArray(node.type)) out.type = inline(node.type, shared, defined, inner);
  else if (typeof node.type === "string" && !NAMED.has(node.type) && !["array", "map"].includes(node.type)) {
    // `{ "type": "herald.common.Money" }` is a reference too.
    const replaced = inline(node.type, shared, defined, inner);
    if (replaced !== node.type) return replaced;
  }
  return out;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasDoc(node: JsonObject): boolean {
  return typeof node.doc === "string" && node.doc.trim().length > 0;
}
