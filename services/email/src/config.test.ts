import { loadConfig } from "@herald/service-kit";
import { readEnvExample } from "@herald/service-kit/testing";
import { describe, expect, it } from "vitest";
import { configSpec } from "./config.js";

const example = readEnvExample(new URL("../.env.example", import.meta.url));

describe("the Email service's configuration", () => {
  it("documents every key in .env.example, and nothing else", () => {
    expect(Object.keys(example).sort()).toEqual(Object.keys(configSpec).sort());
  });

  it("accepts the development defaults of .env.example", () => {
    const config = loadConfig(configSpec, example);
    expect(config).toMatchObject({
      PORT: 3004,
      SMTP_URL: "smtp://127.0.0.1:1025",
      EMAIL_FROM: "Herald <orders@herald.local>",
      EMAIL_OPS_ADDRESS: "ops@herald.local",
      EMAIL_MAX_ATTEMPTS: 6,
    });
  });

  it("names every missing or malformed mail setting, and never echoes the SMTP URL", () => {
    const { SMTP_URL: _smtp, EMAIL_OPS_ADDRESS: _ops, ...rest } = example;
    expect(() => loadConfig(configSpec, rest)).toThrow(/SMTP_URL is required.*EMAIL_OPS_ADDRESS is required/);
    const bad = {
      ...example,
      SMTP_URL: "http://user:secret@mail:25",
      EMAIL_FROM: "Herald",
      EMAIL_MAX_ATTEMPTS: "0",
    };
    let message = "";
    try {
      loadConfig(configSpec, bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("SMTP_URL must use smtp: or smtps:");
    expect(message).not.toContain("secret");
    expect(message).toContain("EMAIL_FROM must match");
    expect(message).toContain("EMAIL_MAX_ATTEMPTS must be an integer between 1 and 100");
  });

  it("keeps personal data 30 days unless told otherwise, and at least a day", () => {
    const { EMAIL_RETENTION_DAYS: _retention, ...rest } = example;
    expect(loadConfig(configSpec, rest).EMAIL_RETENTION_DAYS).toBe(30);
    expect(loadConfig(configSpec, { ...example, EMAIL_RETENTION_DAYS: "7" }).EMAIL_RETENTION_DAYS).toBe(7);
    expect(() => loadConfig(configSpec, { ...example, EMAIL_RETENTION_DAYS: "0" })).toThrow(
      /EMAIL_RETENTION_DAYS must be an integer between 1 and 3650/,
    );
  });
});
