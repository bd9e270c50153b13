import { describe, expect, it } from "vitest";
import { env, loadConfig } from "./config.js";
import { ServiceKitError } from "./errors.js";

const spec = {
  PORT: env.port({ description: "HTTP port", default: 3001 }),
  DATABASE_URL: env.url({
    description: "Postgres URL",
    protocols: ["postgres:", "postgresql:"],
    secret: true,
  }),
  KAFKA_BROKERS: env.list({ description: "brokers", item: /^[^:\s]+:\d+$/ }),
  LOG_LEVEL: env.oneOf(["info", "debug"], { description: "level", default: "info" }),
};

describe("loadConfig", () => {
  it("parses, defaults and freezes", () => {
    const config = loadConfig(spec, {
      DATABASE_URL: "postgres://u:p@db:5432/x",
      KAFKA_BROKERS: "a:9092, b:9092",
      LOG_LEVEL: "",
    });
    expect(config).toEqual({
      PORT: 3001,
      DATABASE_URL: "postgres://u:p@db:5432/x",
      KAFKA_BROKERS: ["a:9092", "b:9092"],
      LOG_LEVEL: "info",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("fails naming every bad or missing variable", () => {
    const load = () =>
      loadConfig(spec, { PORT: "70000", KAFKA_BROKERS: "a:9092,nonsense", LOG_LEVEL: "loud" });
    expect(load).toThrowError(ServiceKitError);
    expect(load).toThrowError(/PORT must be an integer between 1 and 65535 \(got "70000"\)/);
    expect(load).toThrowError(/DATABASE_URL is required \(Postgres URL\)/);
    expect(load).toThrowError(/KAFKA_BROKERS has malformed items nonsense/);
    expect(load).toThrowError(/LOG_LEVEL must be one of info, debug/);
    try {
      load();
    } catch (error) {
      expect((error as ServiceKitError).code).toBe("SERVICE_CONFIG_INVALID");
    }
  });

  it("never echoes a secret", () => {
    const load = () => loadConfig(spec, { DATABASE_URL: "mysql://root:hunter2@db/x", KAFKA_BROKERS: "a:1" });
    expect(load).toThrowError(/DATABASE_URL must use postgres: or postgresql:, not mysql:/);
    expect(load).not.toThrowError(/hunter2/);
  });

  it("rejects non-integers", () => {
    expect(() =>
      loadConfig(spec, { PORT: "30.5", DATABASE_URL: "postgres://x", KAFKA_BROKERS: "a:1" }),
    ).toThrowError(/PORT must be an integer/);
  });
});
