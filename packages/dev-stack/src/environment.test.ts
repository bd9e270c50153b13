import { describe, expect, it } from "vitest";
import { infraFromEnvironment, infraToEnvironment } from "./environment.js";
import { StackError } from "./errors.js";

const complete = {
  KAFKA_BROKERS: "k1:9092, k2:9092",
  SCHEMA_REGISTRY_URL: "http://registry:8081",
  SMTP_URL: "smtp://mail:1025",
  MAILDEV_API_URL: "http://mail:1080",
  ORDER_DATABASE_URL: "postgres://o@db/o",
  INVENTORY_DATABASE_URL: "postgres://i@db/i",
  PAYMENT_DATABASE_URL: "postgres://p@db/p",
  EMAIL_DATABASE_URL: "postgres://e@db/e",
  ANALYTICS_DATABASE_URL: "postgres://a@db/a",
};

describe("infrastructure from the environment", () => {
  it("is absent when KAFKA_BROKERS is unset, so the native stack starts", () => {
    expect(infraFromEnvironment({})).toBeUndefined();
  });

  it("reads every variable and survives a round trip", () => {
    const infra = infraFromEnvironment(complete);
    expect(infra?.kafkaBrokers).toEqual(["k1:9092", "k2:9092"]);
    expect(infra?.databaseUrls.payment).toBe("postgres://p@db/p");
    expect(infraFromEnvironment(infraToEnvironment(infra!))).toEqual(infra);
  });

  it("names every missing variable when only part is set", () => {
    const { PAYMENT_DATABASE_URL: _, SMTP_URL: __, ...partial } = complete;
    expect(() => infraFromEnvironment(partial)).toThrowError(StackError);
    expect(() => infraFromEnvironment(partial)).toThrowError(/SMTP_URL, PAYMENT_DATABASE_URL/);
  });
});
