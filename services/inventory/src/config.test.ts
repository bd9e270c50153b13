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
    expect(loadConfig(configSpec, example)).toMatchObject({ PORT: 3002, HERALD_ENV: "development" });
  });

  it("needs only the infrastructure's addresses; staff authenticate with operator tokens", () => {
    expect(loadConfig(configSpec, base)).toMatchObject({ PORT: 3002, AUTH_AUDIENCE: "herald" });
  });
});
