import { randomUUID } from "node:crypto";

/** A name no other test, benchmark (or earlier run) uses: for topics, groups, schemas and databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}
