import type avro from "avsc";
import {
  type LoadedSchema,
  loadSchemas,
  namedTypes,
  type RecordType,
  type SchemaProblem,
  type SchemaSource,
} from "./schema-loader.js";

export interface SchemaCheckReport {
  /** Every schema that parses now. */
  readonly schemas: number;
  /** Paths whose (inlined) schema differs from the base and were checked against it. */
  readonly changed: readonly string[];
  readonly added: readonly string[];
  /** Paths present at the base and gone now; reported, not failed (their subjects stay registered). */
  readonly removed: readonly string[];
  readonly problems: readonly SchemaProblem[];
}

/**
 * What `npm run schemas:check` decides: every current schema is valid, and every schema that changed
 * since the base is BACKWARD compatible with its base version (a reader on the new schema reads data
 * written with the old one), checked with avsc's resolver, no registry needed. On top of BACKWARD a
 * field without a default may not be removed: consumers still on the old schema could not read new
 * data, and in a choreography producers and consumers deploy at different times.
 */
export function checkSchemas(
  base: readonly SchemaSource[],
  current: readonly SchemaSource[],
): SchemaCheckReport {
  const now = loadSchemas(current);
  const before = new Map(loadSchemas(base).schemas.map((schema) => [schema.path, schema]));
  const problems: SchemaProblem[] = [...now.problems];
  const changed: string[] = [];
  const added: string[] = [];
  for (const schema of now.schemas) {
    const old = before.get(schema.path);
    if (!old) {
      if (!base.some((source) => source.path === schema.path)) added.push(schema.path);
      continue;
    }
    if (JSON.stringify(old.schema) === JSON.stringify(schema.schema)) continue;
    changed.push(schema.path);
    for (const message of incompatibilities(old, schema)) problems.push({ path: schema.path, message });
  }
  const paths = new Set(current.map((source) => source.path));
  const removed = base.map((source) => source.path).filter((path) => !paths.has(path));
  return { schemas: now.schemas.length, changed, added, removed, problems };
}

function incompatibilities(old: LoadedSchema, now: LoadedSchema): string[] {
  const problems: string[] = [];
  try {
    now.type.createResolver(old.type);
  } catch (error) {
    problems.push(
      `not BACKWARD compatible: the new schema cannot read data written with the old one (${(error as Error).message})`,
    );
  }
  const newRecords = new Map(records(now.type).map((record) => [record.name, record]));
  for (const oldRecord of records(old.type)) {
    const newRecord =
      newRecords.get(oldRecord.name) ??
      [...newRecords.values()].find((record) => record.aliases?.includes(oldRecord.name ?? ""));
    if (!newRecord) continue;
    for (const field of oldRecord.fields) {
      if (field.defaultValue() !== undefined) continue;
      const kept = newRecord.fields.some((f) => f.name === field.name || f.aliases.includes(field.name));
      if (!kept)
        problems.push(
          `field ${oldRecord.name}.${field.name} was removed but has no default: consumers still on the old schema cannot read new data (give it a default first, remove it later)`,
        );
    }
  }
  return problems;
}

function records(type: avro.Type): RecordType[] {
  return namedTypes(type).filter((t): t is RecordType => t.typeName === "record" || t.typeName === "error");
}
