import { join } from "node:path";
import { type Component, daemonComponent } from "./component.js";
import type { StackOptions } from "./config.js";
import { isPortOpen } from "./process.js";
import { ensureMavenArtifact, findJava } from "./tools.js";

/** Zipkin's server, the stack's trace UI and collector (docker-compose.yml builds the same version). */
export const ZIPKIN_VERSION = "3.5.1";

/** Zipkin's port: 9411, moved with a private stack's services (serviceOffset). */
export function zipkinPort(options: StackOptions): number {
  return 9411 + options.ports.serviceOffset;
}

/** The UI and query API, e.g. `http://127.0.0.1:9411` (`/zipkin/traces/<id>`, `/api/v2/trace/<id>`). */
export function zipkinUrl(options: StackOptions): string {
  return `http://${options.host}:${zipkinPort(options)}`;
}

/** Where services and relays send spans (OTEL_EXPORTER_ZIPKIN_ENDPOINT). */
export function zipkinSpansUrl(options: StackOptions): string {
  return `${zipkinUrl(options)}/api/v2/spans`;
}

/**
 * Zipkin's server from Maven Central (its executable jar), keeping spans in memory: every service
 * and relay of the stack sends its spans here, and the UI shows one order's trace across them.
 */
export function zipkinComponent(options: StackOptions): Component {
  const port = zipkinPort(options);
  const url = zipkinUrl(options);
  return daemonComponent(options, {
    name: "zipkin",
    port,
    readyTimeoutMs: 120_000,
    describe: () => `${url}/zipkin/ (spans: ${url}/api/v2/spans)`,
    async prepare() {
      const java = findJava(options.javaHome);
      const jar = ensureMavenArtifact(
        join(options.cacheDir, `zipkin-server-${ZIPKIN_VERSION}`),
        `io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec`,
        `Zipkin server ${ZIPKIN_VERSION}`,
      );
      return {
        command: java,
        args: [
          "-Xms64m",
          "-Xmx384m",
          // A development collector: a fast start matters more than peak speed.
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-jar",
          jar,
          `--server.port=${port}`,
        ],
        env: { ...process.env, STORAGE_TYPE: "mem", MEM_MAX_SPANS: "500000", SELF_TRACING_ENABLED: "false" },
      };
    },
    async isReady() {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    },
  });
}

/**
 * What a service or relay process is traced with: an OTEL_EXPORTER_ZIPKIN_ENDPOINT of the caller's
 * environment, else the stack's Zipkin when it runs, else nothing (tracing off: benches measure
 * services as they run untraced).
 */
export async function tracingEnvironment(options: StackOptions): Promise<Record<string, string>> {
  const given = process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT;
  if (given !== undefined) return { OTEL_EXPORTER_ZIPKIN_ENDPOINT: given };
  return (await isPortOpen(options.host, zipkinPort(options)))
    ? { OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkinSpansUrl(options) }
    : {};
}
