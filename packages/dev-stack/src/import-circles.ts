import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

// The repository's own modules must not import each other in a circle: a circle makes the order in
// which modules load decide what a module sees of another, and says that two modules are one.
// This reads the TypeScript sources of packages/ and services/ as text (no compiler, no network),
// follows relative imports and imports of the workspace's own packages (through the
// `herald-source` condition of their exports) and answers the circles it finds.

const SKIP = new Set(["node_modules", "dist", "test-artifacts"]);
/** `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`, type-only ones included. */
const SPECIFIERS = [
  /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

type Exports = Record<string, string | Record<string, string>>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The workspace's packages by name: where each of their exports' sources is. */
function workspacePackages(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const folder of ["packages", "services"]) {
    if (!existsSync(join(root, folder))) continue;
    for (const name of readdirSync(join(root, folder))) {
      const manifest = join(root, folder, name, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name: string; exports?: Exports };
      for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
        const source = typeof target === "string" ? target : target["herald-source"];
        if (source?.endsWith(".ts"))
          entries.set(`${pkg.name}${subpath.slice(1)}`, resolve(join(root, folder, name), source));
      }
    }
  }
  return entries;
}

function resolveImport(from: string, specifier: string, packages: Map<string, string>): string | undefined {
  if (!specifier.startsWith(".")) return packages.get(specifier);
  const base = resolve(dirname(from), specifier);
  return [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")].find(existsSync);
}

/** Each module's imports of the repository's own modules. */
export function importGraph(root: string): Map<string, Set<string>> {
  const packages = workspacePackages(root);
  const graph = new Map<string, Set<string>>();
  for (const folder of ["packages", "services"]) {
    if (!existsSync(join(root, folder))) continue;
    for (const file of sourceFiles(join(root, folder))) {
      const text = readFileSync(file, "utf8");
      const targets = new Set<string>();
      for (const pattern of SPECIFIERS)
        for (const [, specifier = ""] of text.matchAll(pattern)) {
          const target = resolveImport(file, specifier, packages);
          if (target) targets.add(target);
        }
      graph.set(file, targets);
    }
  }
  return graph;
}

/**
 * The import circles among the TypeScript modules under `root`'s packages/ and services/: each the
 * modules of one strongly connected part of the import graph (paths relative to `root`, sorted),
 * a module that imports itself included.
 */
export function findImportCircles(root: string): string[][] {
  const graph = importGraph(root);
  // Tarjan's strongly connected components, iteratively (no recursion limit on long chains).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const circles: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; edges: Iterator<string> }[] = [];
    const visit = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: (graph.get(node) ?? new Set<string>()).values() });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edge = frame.edges.next();
      if (!edge.done) {
        const target = edge.value;
        if (!index.has(target)) visit(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== frame.node);
      if (members.length > 1 || graph.get(frame.node)?.has(frame.node))
        circles.push(members.map((path) => relative(root, path)).sort());
    }
  }
  return circles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
