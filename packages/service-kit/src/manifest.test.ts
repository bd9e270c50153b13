import { describe, expect, it } from "vitest";
import { groupIdOf, parseServiceManifest, readServiceManifest } from "./manifest.js";
import { defineService, serviceConfigSpec } from "./service.js";

const order = {
  version: "1.2.3",
  herald: { service: "order", port: 3001, writes: ["orders"], reads: ["inventory", "payments"] },
};

describe("a service's manifest", () => {
  it("is its package.json's herald block and version; the group and client id derive from the name", () => {
    const manifest = parseServiceManifest(order);
    expect(manifest).toEqual({
      name: "order",
      version: "1.2.3",
      port: 3001,
      writes: ["orders"],
      reads: ["inventory", "payments"],
    });
    expect(groupIdOf(manifest)).toBe("order-service");
  });

  it("names every problem of a block in one error", () => {
    const bad = { herald: { service: "Order", port: 70_000, writes: ["order"], reads: "payments" } };
    expect(() => parseServiceManifest(bad, "services/x/package.json")).toThrow(
      expect.objectContaining({
        code: "SERVICE_MANIFEST_INVALID",
        message: expect.stringMatching(
          /services\/x\/package\.json: herald\.service .*herald\.port .*version is missing.*herald\.writes names "order", which is not a topic.*herald\.reads must be a list/,
        ),
      }),
    );
    expect(() => parseServiceManifest({ version: "1.0.0" })).toThrow(/no "herald" block/);
  });

  it("holds the writes to the event contract: a topic is written by the service its events belong to", () => {
    const stealing = { version: "1.0.0", herald: { service: "loyalty", port: 3006, writes: ["orders"] } };
    expect(() => parseServiceManifest(stealing)).toThrow(/herald\.writes names "orders", which order writes/);
    const forgetting = { version: "1.0.0", herald: { service: "order", port: 3001, reads: [] } };
    expect(() => parseServiceManifest(forgetting)).toThrow(/herald\.writes must name "orders"/);
  });

  it("is looked for above the module that asks; a package without one is refused", () => {
    expect(() => readServiceManifest(import.meta.url)).toThrow(/no package\.json with a "herald" block/);
  });

  it("refuses a definition whose consumer reads other topics than the manifest says", () => {
    const define = (topics: ("inventory" | "payments" | "notifications")[]) =>
      defineService({
        manifest: parseServiceManifest(order),
        description: "orders",
        configSpec: serviceConfigSpec({ port: 3001 }),
        migrations: [],
        consumer: { topics, handler: () => async () => {} },
        routes() {},
      });
    expect(() => define(["payments", "inventory"])).not.toThrow();
    expect(() => define(["inventory", "payments", "notifications"])).toThrow(
      expect.objectContaining({ code: "SERVICE_READS_MISMATCH" }),
    );
  });
});
