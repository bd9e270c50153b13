import { loadConfig } from "@herald/service-kit";
import { readEnvExample, requiredSettings } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { configSpec } from "./config.js";

const base = requiredSettings("inventory");
const envExample = () => readEnvExample(new URL("../.env.example", import.meta.url));

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
