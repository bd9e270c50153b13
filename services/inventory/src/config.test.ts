import { readFileSync } from "node:fs";
import { loadConfig } from "@herald/service-kit";
import { describe, expect, it } from "vitest";
import { configSpec } from "./config.js";

const base = {
  DATABASE_URL: "postgres://herald_inventory:secret@127.0.0.1:5432/herald_inventory",
  KAFKA_BROKERS: "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081/apis/ccompat/v7",
};

/** The keys and values of `.env.example`, as `node --env-file` reads them. */
function envExample(): Record<string, string> {
  const text = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("the Inventory service's configuration", () => {
  it("starts from .env.example, which documents every key", () => {
    const example = envExample();
    expect(Object.keys(example).sort()).toEqual(Object.keys(configSpec).sort());
    expect(loadConfig(configSpec, example)).toMatchObject({
      PORT: 3002,
      INVENTORY_ADMIN_TOKEN: "herald-inventory-admin-dev-token",
    });
  });

  it("requires the admin token, without echoing a bad one", () => {
    expect(() => loadConfig(configSpec, base)).toThrow(/INVENTORY_ADMIN_TOKEN is required/);
    let message = "";
    try {
      loadConfig(configSpec, { ...base, INVENTORY_ADMIN_TOKEN: "short-secret" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/INVENTORY_ADMIN_TOKEN/);
    expect(message).not.toContain("short-secret");
  });

  it("refuses a token with spaces or control characters", () => {
    for (const token of ["a token with spaces in it", "token-with-newline\n-0123456789"])
      expect(() => loadConfig(configSpec, { ...base, INVENTORY_ADMIN_TOKEN: token })).toThrow(
        /INVENTORY_ADMIN_TOKEN/,
      );
  });
});
