import { describe, expect, it } from "vitest";
import { parseImageName, standInKind } from "./compose-images.js";

describe("stand-in images", () => {
  it("given image names, when parsed, then repository and tag split at the last colon after the last slash", () => {
    expect(parseImageName("apicurio/apicurio-registry:3.0.9")).toEqual({
      repository: "apicurio/apicurio-registry",
      tag: "3.0.9",
    });
    expect(parseImageName("localhost:5000/herald/order")).toEqual({
      repository: "localhost:5000/herald/order",
      tag: "latest",
    });
  });

  it("given third-party images, when classified, then each known one has a stand-in and others none", () => {
    expect(standInKind("node:26.12.1-bookworm-slim")).toBe("node");
    expect(standInKind("docker.io/library/postgres:15")).toBe("postgres");
    expect(standInKind("apache/kafka:3.9.1")).toBe("kafka");
    expect(standInKind("maildev/maildev:2.2.1")).toBe("maildev");
    expect(standInKind("openzipkin/zipkin:3.5.1")).toBe("zipkin");
    expect(standInKind("confluentinc/cp-schema-registry:7.9.1")).toBeUndefined();
  });
});
