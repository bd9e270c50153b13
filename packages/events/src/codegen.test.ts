import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generate } from "./codegen.js";
import { loadSchemasOrThrow } from "./schema-loader.js";
import { DEFAULT_SCHEMAS_DIR, readSchemaSources } from "./schema-sources.js";

const generatedDir = fileURLToPath(new URL("./generated/", import.meta.url));

describe("generated code", () => {
  const files = generate(loadSchemasOrThrow(readSchemaSources(DEFAULT_SCHEMAS_DIR)));

  it.each(files.map((file) => [file.name, file] as const))(
    "src/generated/%s matches the schemas (run `npm run codegen` after changing them)",
    (_name, file) => {
      expect(readFileSync(join(generatedDir, file.name), "utf8")).toBe(file.content);
    },
  );

  it("changes when a schema changes", () => {
    const sources = readSchemaSources(DEFAULT_SCHEMAS_DIR).map((source) => {
      if (source.path !== "payment/PaymentProcessed.avsc") return source;
      const schema = JSON.parse(source.text);
      schema.fields.push({ name: "provider", type: ["null", "string"], default: null, doc: "Who charged." });
      return { ...source, text: JSON.stringify(schema) };
    });
    const changed = generate(loadSchemasOrThrow(sources)).find((file) => file.name === "types.ts");
    expect(changed?.content).not.toBe(files.find((file) => file.name === "types.ts")?.content);
    expect(changed?.content).toContain("  /** Who charged. */\n  provider: string | null;\n");
  });
});
