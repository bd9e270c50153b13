import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./config.js";
import { discoverServices } from "./service-processes.js";

const services = discoverServices();
const dockerfileOf = (dir: string) => readFileSync(join(dir, "Dockerfile"), "utf8");
const version = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;

/** A Dockerfile with what may differ between services (their name, title, port, version) blanked out. */
function shape(text: string, service: string, port: number, ver: string): string {
  const title = `${service[0]!.toUpperCase()}${service.slice(1)}`;
  return text
    .replaceAll(service, "<service>")
    .replaceAll(title, "<Service>")
    .replaceAll(`PORT=${port}`, "PORT=<port>")
    .replaceAll(`VERSION=${ver}`, "VERSION=<version>")
    .replaceAll(`:${ver}`, ":<version>");
}

describe("each service's Dockerfile", () => {
  it("covers all five services", () => {
    expect(services.map((s) => s.service)).toEqual(["order", "inventory", "payment", "email", "analytics"]);
  });

  it.each(services)("builds $service alone: its name, port and package version are the defaults", (s) => {
    const text = dockerfileOf(s.dir);
    expect(text).toMatch(new RegExp(`^ARG SERVICE=${s.service}$`, "m"));
    expect(text).toMatch(new RegExp(`^ARG PORT=${s.port}$`, "m"));
    expect(text).toMatch(new RegExp(`^ARG VERSION=${version(s.dir).replaceAll(".", "\\.")}$`, "m"));
    expect(text).not.toMatch(/^# syntax=/m);
  });

  it("is one design filled in five times: they differ in nothing but those defaults", () => {
    const [first, ...rest] = services.map((s) =>
      shape(dockerfileOf(s.dir), s.service, s.port, version(s.dir)),
    );
    for (const other of rest) expect(other).toBe(first);
  });

  it("is what docker-compose.yml builds each service from", () => {
    const compose = readFileSync(join(repoRoot, "docker-compose.yml"), "utf8");
    for (const s of services) expect(compose).toContain(`dockerfile: services/${s.service}/Dockerfile`);
  });
});
