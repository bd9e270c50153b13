import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DockerEngine, docker, lastLine } from "./compose-engine.js";
import { repoRoot } from "./config.js";
import { StackError } from "./errors.js";

/**
 * The parts every stand-in image is built from: the shared Debian base and Java images, a build
 * context holding the stand-in's files, the engine's build, and packages fetched from npm.
 */

export const STANDIN_DIR = join(repoRoot, "packages", "dev-stack", "compose");
const BASE_IMAGE = "herald-standin/debian:bookworm";
const JAVA_IMAGE = "herald-standin/java:17";

/** The label a stand-in carries: the digest of the files it was built from. */
export const STANDIN_LABEL = "org.herald.standin-digest";

export interface StandInContext {
  readonly engine: DockerEngine;
  readonly cacheDir: string;
  readonly logFile: string;
  /** The Node image the service Dockerfile builds on (MailDev's stand-in runs on it too). */
  readonly nodeImage: string;
  /** npm for the Node stand-in, as the root package.json's `packageManager` pins it. */
  readonly npmVersion: string;
  readonly progress: (message: string) => void;
}

export async function imageExists(engine: DockerEngine, image: string): Promise<boolean> {
  return (await docker(engine, ["image", "inspect", "--format", "{{.Id}}", image])).code === 0;
}

/** A Debian bookworm root filesystem (debootstrap minbase), trimmed like Debian's slim images. */
export async function ensureBase(context: StandInContext): Promise<void> {
  if (await imageExists(context.engine, BASE_IMAGE)) return;
  const startedAt = Date.now();
  const rootfs = join(context.cacheDir, "standins", "rootfs");
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  const debootstrap = spawnSync(
    "debootstrap",
    // libatomic1: Node 22+ links against it (the official slim images install it too).
    ["--variant=minbase", "--include=libatomic1", "bookworm", rootfs, "http://deb.debian.org/debian"],
    { encoding: "utf8" },
  );
  if (debootstrap.status !== 0) {
    writeFileSync(context.logFile, `${debootstrap.stdout}\n${debootstrap.stderr}`, { flag: "a" });
    throw new StackError(
      `debootstrap failed: ${lastLine(debootstrap.stderr || debootstrap.stdout)}`,
      `it needs root and access to deb.debian.org; details in ${context.logFile}`,
    );
  }
  for (const dir of [
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
  ]) {
    const path = join(rootfs, dir);
    for (const entry of existsSync(path) ? readdirSync(path) : []) {
      if (entry !== "partial" && entry !== "lock")
        rmSync(join(path, entry), { recursive: true, force: true });
    }
  }
  for (const cache of readdirSync(join(rootfs, "var", "cache", "apt"))) {
    if (cache.endsWith(".bin")) rmSync(join(rootfs, "var", "cache", "apt", cache), { force: true });
  }
  for (const locale of readdirSync(join(rootfs, "usr", "share", "locale"))) {
    if (locale !== "locale.alias")
      rmSync(join(rootfs, "usr", "share", "locale", locale), { recursive: true, force: true });
  }
  // Packages whose scripts register man pages (OpenJDK's update-alternatives) need the folder.
  mkdirSync(join(rootfs, "usr", "share", "man", "man1"), { recursive: true });
  // Later apt installs in the stand-ins leave documentation and apt's caches out of the layers, as
  // in Debian's own images.
  writeFileSync(
    join(rootfs, "etc", "dpkg", "dpkg.cfg.d", "herald-slim"),
    "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n",
  );
  const clean = `"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"`;
  writeFileSync(
    join(rootfs, "etc", "apt", "apt.conf.d", "docker-clean"),
    `DPkg::Post-Invoke { ${clean}; };\nAPT::Update::Post-Invoke { ${clean}; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`,
  );
  const imported = spawnSync("sh", ["-c", `tar -C '${rootfs}' -c . | docker import - ${BASE_IMAGE}`], {
    env: context.engine.env,
    encoding: "utf8",
  });
  rmSync(rootfs, { recursive: true, force: true });
  if (imported.status !== 0) {
    throw new StackError(
      `importing the Debian root filesystem failed: ${lastLine(imported.stderr)}`,
      `see ${context.logFile}`,
    );
  }
  context.progress(`built stand-in base ${BASE_IMAGE} (${seconds(startedAt)})`);
}

export async function ensureJava(context: StandInContext): Promise<void> {
  if (await imageExists(context.engine, JAVA_IMAGE)) return;
  await ensureBase(context);
  await build(context, JAVA_IMAGE, prepareContext(context, "java", "java-17"));
}

/** A fresh build context: the stand-in's files from the repository, artifacts added by the caller. */
export function prepareContext(context: StandInContext, kind: string, name: string): string {
  const dir = join(context.cacheDir, "standins", "contexts", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(STANDIN_DIR, kind), dir, { recursive: true });
  return dir;
}

export async function build(
  context: StandInContext,
  image: string,
  dir: string,
  args: Readonly<Record<string, string>> = {},
  digest?: string,
): Promise<void> {
  const buildArgs = Object.entries(args).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]);
  if (digest) buildArgs.push("--label", `${STANDIN_LABEL}=${digest}`);
  // The classic builder: it needs no buildx plugin and no frontend image.
  const result = await docker(context.engine, ["build", "-q", "-t", image, ...buildArgs, dir], {
    env: { DOCKER_BUILDKIT: "0" },
    logFile: context.logFile,
  });
  if (result.code !== 0) {
    throw new StackError(
      `building the stand-in ${image} failed: ${lastLine(result.output)}`,
      `details in ${context.logFile}`,
    );
  }
}

/** `npm pack` into the cache (kept), returning the tarballs in the order asked. */
export function npmPack(specs: readonly string[], context: StandInContext): string[] {
  const dir = join(context.cacheDir, "standins", "npm");
  mkdirSync(dir, { recursive: true });
  return specs.map((spec) => {
    const at = spec.lastIndexOf("@");
    const file = join(
      dir,
      `${spec.slice(0, at).replace(/^@/, "").replace("/", "-")}-${spec.slice(at + 1)}.tgz`,
    );
    if (existsSync(file)) return file;
    const packed = spawnSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], {
      encoding: "utf8",
    });
    if (packed.status !== 0 || !existsSync(file)) {
      throw new StackError(
        `npm pack ${spec} failed: ${lastLine(packed.stderr)}`,
        "check access to the npm registry",
      );
    }
    return file;
  });
}

/** Extracts `member` of a tarball into `dir` under the name `as`. */
export function extract(tarball: string, dir: string, member: string, as: string): void {
  const scratch = join(dir, ".extract");
  mkdirSync(scratch, { recursive: true });
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", scratch, member], { encoding: "utf8" });
  if (untar.status !== 0)
    throw new StackError(
      `cannot unpack ${tarball}: ${lastLine(untar.stderr)}`,
      `remove ${tarball} and retry`,
    );
  cpSync(join(scratch, member), join(dir, as), { recursive: true });
  rmSync(scratch, { recursive: true, force: true });
}

/** The npm version `packageManager` pins in a package.json (npm@x.y.z). */
export function packageManagerNpm(manifestPath: string = join(repoRoot, "package.json")): string {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { packageManager?: string };
  const version = /^npm@(\d+\.\d+\.\d+)/.exec(manifest.packageManager ?? "")?.[1];
  if (!version) throw new StackError("package.json has no packageManager npm@x.y.z", "pin npm there");
  return version;
}

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}
