import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StackError } from "./errors.js";

/** Finds a Java runtime of at least `minimum` (JAVA_HOME first, then PATH). */
export function findJava(javaHome: string | undefined, minimum = 17): string {
  const candidates = [javaHome ? join(javaHome, "bin", "java") : undefined, "java"].filter(
    (candidate): candidate is string => candidate !== undefined,
  );
  for (const java of candidates) {
    const probe = spawnSync(java, ["-version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) continue;
    const match = /version "(\d+)(?:\.(\d+))?/.exec(probe.stderr);
    const major = match ? Number(match[1] === "1" ? match[2] : match[1]) : 0;
    if (major >= minimum) return java;
  }
  throw new StackError(
    `no Java ${minimum}+ runtime found (Kafka and the schema registry run on the JVM)`,
    `install one (e.g. 'apt-get install openjdk-17-jre-headless') or set JAVA_HOME to a JDK ${minimum}+`,
  );
}

function mavenBinary(): string {
  const probe = spawnSync("mvn", ["-v"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new StackError(
      "Maven ('mvn') not found; it fetches Kafka and the schema registry from Maven Central",
      "install it (e.g. 'apt-get install maven') and run again",
    );
  }
  return "mvn";
}

function runMaven(args: string[], cwd: string, what: string): void {
  const result = spawnSync(mavenBinary(), ["-B", "-q", ...args], { cwd, encoding: "utf8" });
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    writeFileSync(join(cwd, "maven-error.log"), output);
    const offline =
      /UnknownHost|Could not transfer|Connection refused|Network is unreachable|timed out/i.test(output);
    throw new StackError(
      `could not download ${what} from Maven Central${offline ? " (network unreachable)" : ""}`,
      `check network access to Maven Central (proxy settings in ~/.m2/settings.xml); details in ${join(cwd, "maven-error.log")}`,
    );
  }
}

/**
 * Copies a Maven artifact and all its runtime dependencies into `dir` once; later calls are no-ops.
 */
export function ensureMavenClasspath(
  dir: string,
  dependencies: readonly { groupId: string; artifactId: string; version: string }[],
  what: string,
): string {
  const libDir = join(dir, "libs");
  if (existsSync(join(dir, ".complete"))) return libDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const deps = dependencies
    .map(
      (d) =>
        `<dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`,
    )
    .join("\n    ");
  writeFileSync(
    join(dir, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>herald.dev-stack</groupId><artifactId>classpath</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    ${deps}
  </dependencies>
</project>
`,
  );
  runMaven(
    ["dependency:copy-dependencies", `-DoutputDirectory=${libDir}`, "-DincludeScope=runtime"],
    dir,
    what,
  );
  writeFileSync(join(dir, ".complete"), "");
  return libDir;
}

/** Downloads one Maven artifact (e.g. a `tar.gz` distribution) and unpacks it into `dir` once. */
export function ensureMavenDistribution(dir: string, coordinates: string, what: string): string {
  const unpacked = join(dir, "dist");
  if (existsSync(join(dir, ".complete"))) return unpacked;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(unpacked, { recursive: true });
  runMaven(["dependency:copy", `-Dartifact=${coordinates}`, `-DoutputDirectory=${dir}`], dir, what);
  const archive = readdirSync(dir).find((file) => file.endsWith(".tar.gz"));
  if (!archive) throw new StackError(`${what}: Maven returned no archive`, `remove ${dir} and try again`);
  const tar = spawnSync("tar", ["-xzf", join(dir, archive), "-C", unpacked], { encoding: "utf8" });
  if (tar.status !== 0)
    throw new StackError(`could not unpack ${archive}: ${tar.stderr}`, `remove ${dir} and try again`);
  rmSync(join(dir, archive));
  writeFileSync(join(dir, ".complete"), "");
  return unpacked;
}

/** Downloads one Maven artifact as it is (e.g. an executable jar) into `dir` once; returns its path. */
export function ensureMavenArtifact(dir: string, coordinates: string, what: string): string {
  const complete = join(dir, ".complete");
  if (existsSync(complete)) {
    const kept = readdirSync(dir).find((file) => file.endsWith(".jar"));
    if (kept) return join(dir, kept);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  runMaven(["dependency:copy", `-Dartifact=${coordinates}`, `-DoutputDirectory=${dir}`], dir, what);
  const jar = readdirSync(dir).find((file) => file.endsWith(".jar"));
  if (!jar) throw new StackError(`${what}: Maven returned no jar`, `remove ${dir} and try again`);
  writeFileSync(complete, "");
  return join(dir, jar);
}
