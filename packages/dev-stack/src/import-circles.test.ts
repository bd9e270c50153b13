import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "./config.js";
import { findImportCircles, importGraph } from "./import-circles.js";

describe("import circles", () => {
  it("the repository's packages and services import one another in no circle", () => {
    expect(findImportCircles(repoRoot)).toEqual([]);
  });

  it("the graph follows imports of the workspace's own packages through their sources", () => {
    const graph = importGraph(repoRoot);
    const kitTesting = graph.get(join(repoRoot, "packages/service-kit/src/testing-service.ts"));
    expect(kitTesting).toContain(join(repoRoot, "packages/dev-stack/src/testing/index.ts"));
    expect(kitTesting).toContain(join(repoRoot, "packages/outbox/src/index.ts"));
  });

  describe("in a tree of its own", () => {
    let root: string | undefined;
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root!, path)), { recursive: true });
      writeFileSync(join(root!, path), text);
    };
    afterEach(() => {
      if (root) rmSync(root, { recursive: true, force: true });
      root = undefined;
    });

    it("finds a circle through a type-only import, another through a package's export, and a self-import", () => {
      root = mkdtempSync(join(tmpdir(), "herald-circles-"));
      write("packages/a/package.json", JSON.stringify({ name: "@t/a", exports: { ".": "./src/index.ts" } }));
      write(
        "packages/b/package.json",
        JSON.stringify({ name: "@t/b", exports: { "./x": { "herald-source": "./src/x.ts" } } }),
      );
      write("packages/a/src/index.ts", 'export { one } from "./one.js";\n');
      write("packages/a/src/one.ts", 'import type { Two } from "./two.js";\nexport const one = 1;\n');
      write("packages/a/src/two.ts", 'import {\n  one,\n} from "./one.js";\nexport type Two = typeof one;\n');
      write("packages/a/src/uses-b.ts", 'import { x } from "@t/b/x";\nexport const y = x;\n');
      write(
        "packages/b/src/x.ts",
        'import "@t/a";\nexport const x = await import("../../a/src/uses-b.js");\n',
      );
      write("packages/b/src/self.ts", 'export * from "./self.js";\n');
      write("packages/b/src/leaf.ts", 'import pg from "pg";\nexport const leaf = pg;\n');
      expect(findImportCircles(root)).toEqual([
        ["packages/a/src/one.ts", "packages/a/src/two.ts"],
        ["packages/a/src/uses-b.ts", "packages/b/src/x.ts"],
        ["packages/b/src/self.ts"],
      ]);
    });

    it("answers no circle for a tree without one", () => {
      root = mkdtempSync(join(tmpdir(), "herald-circles-"));
      write("services/s/src/main.ts", 'import { a } from "./a.js";\nconsole.log(a);\n');
      write("services/s/src/a.ts", 'export const a = "a";\n');
      expect(findImportCircles(root)).toEqual([]);
    });
  });
});
