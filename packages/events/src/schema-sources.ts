import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SchemaSource } from "./schema-loader.js";

/** The repository's `schemas/` folder (the same distance from `src/` and `dist/`). */
export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL("../../../schemas/", import.meta.url));

/** Every `*.avsc` below `dir`, as it is on disk. */
export function readSchemaSources(dir: string): SchemaSource[] {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".avsc"))
    .sort();
  return files.map((file) => ({
    path: file.split(sep).join("/"),
    text: readFileSync(join(dir, file), "utf8"),
  }));
}

/** Every `*.avsc` below `dir` as committed at `revision`; none when the folder did not exist then. */
export function gitSchemaSources(dir: string, revision: string): SchemaSource[] {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: "pipe" });
  try {
    git("rev-parse", "--verify", "--quiet", `${revision}^{commit}`);
  } catch {
    throw new Error(`"${revision}" is not a commit of the repository holding ${dir}`);
  }
  // Run inside `dir`, ls-tree lists only what is below it, relative to it; `rev:./path` reads likewise.
  const files = git("ls-tree", "-r", "-z", "--name-only", revision, "--", ".")
    .split("\0")
    .filter((file) => file.endsWith(".avsc"))
    .sort();
  return files.map((file) => ({ path: file, text: git("show", `${revision}:./${file}`) }));
}

/** `dir` relative to the working directory, for messages. */
export function displayPath(dir: string): string {
  return relative(process.cwd(), dir) || ".";
}
