import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "@herald/dev-stack/compose";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// An image builds each workspace with its tsconfig.build.json after the development stack and every
// development dependency but the compiler's are cut away (compose/prune-for-image.mjs). A module in
// that build importing anything else breaks every image, and only compose:check would notice.
const IN_IMAGES = ["packages", "services"].flatMap((group) =>
  readdirSync(join(repoRoot, group))
    .map((name) => join(repoRoot, group, name))
    .filter((dir) => !dir.endsWith(join("packages", "dev-stack")))
    .filter((dir) => {
      try {
        readFileSync(join(dir, "tsconfig.build.json"));
        return true;
      } catch {
        return false;
      }
    }),
);

function builtFiles(dir: string): string[] {
  const path = join(dir, "tsconfig.build.json");
  const config = ts.readConfigFile(path, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(path)).fileNames;
}

/** The package a bare import specifier names, or undefined for relative and built-in ones. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:") || builtinModules.includes(specifier))
    return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first && ts.isStringLiteral(first)) found.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("what the service images compile", () => {
  it.each(IN_IMAGES.map((dir) => [relative(repoRoot, dir), dir]))(
    "%s imports only its runtime dependencies in the modules it builds",
    (_name, dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const allowed = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
      const files = builtFiles(dir);
      expect(files.length).toBeGreaterThan(0);
      const outside = files.flatMap((file) =>
        importsOf(file)
          .filter((specifier) => {
            const name = packageOf(specifier);
            return name !== undefined && !allowed.has(name) && !name.startsWith("@types/");
          })
          .map((specifier) => `${relative(dir, file)} imports ${specifier}`),
      );
      expect(outside).toEqual([]);
    },
  );
});
