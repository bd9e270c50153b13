import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Component, daemonComponent } from "./component.js";
import { repoRoot, type StackOptions } from "./config.js";
import { infraToEnvironment } from "./environment.js";
import type { Infra } from "./infra.js";
import { kafkaLogin, kafkaLoginEnvironment } from "./services.js";
import type { ServiceDescriptor } from "./workspace.js";
import { tracingEnvironment } from "./zipkin.js";

/**
 * The development defaults a service documents in its `.env.example` (`KEY=value` lines), which
 * the native stack gives it before the addresses of the infrastructure it runs against.
 */
export function developmentDefaults(dir: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(dir, ".env.example"), "utf8");
  } catch {
    return {};
  }
  const defaults: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) defaults[match[1]!] = match[2]!.trim();
  }
  return defaults;
}

/**
 * Each service and its relay as native processes, with the environment compose gives them
 * (pointing at the native infrastructure) and the relay out of process, as deployed. Relays come
 * second: they start once their service has migrated its database.
 */
export function serviceComponents(
  options: StackOptions,
  infra: Infra,
  services: ServiceDescriptor[],
): { services: Component[]; relays: Component[] } {
  const runTs = (file: string) =>
    [process.execPath, ["--import", "tsx", "--conditions=herald-source", file]] as const;
  const base = { ...process.env, ...infraToEnvironment(infra), LOG_LEVEL: process.env.LOG_LEVEL ?? "info" };
  const started = services.map((descriptor) => {
    const databaseUrl = infra.databaseUrls[descriptor.service];
    // Each service and its relay log in as the service's own principal, not as the stack's admin.
    const ownLogin = kafkaLoginEnvironment(infra.kafkaLogin ? kafkaLogin(descriptor.service) : undefined);
    const [command, args] = runTs(join(descriptor.dir, descriptor.main));
    const service = daemonComponent(options, {
      name: descriptor.service,
      port: descriptor.port,
      readyTimeoutMs: 60_000,
      describe: () => `http://${options.host}:${descriptor.port}`,
      async prepare() {
        return {
          command,
          args: [...args],
          cwd: descriptor.dir,
          env: {
            ...developmentDefaults(descriptor.dir),
            ...base,
            HOST: options.host,
            PORT: String(descriptor.port),
            DATABASE_URL: databaseUrl,
            ...ownLogin,
            RELAY_MODE: descriptor.relayMetricsPort ? "external" : "in-process",
            ...(await tracingEnvironment(options)),
            ...options.serviceSettings,
          },
        };
      },
      async isReady() {
        const response = await fetch(`http://${options.host}:${descriptor.port}/health/ready`, {
          signal: AbortSignal.timeout(2_000),
        });
        return response.ok;
      },
    });
    const relayPort = descriptor.relayMetricsPort;
    if (!relayPort) return { service, relay: undefined };
    const [relayCommand, relayArgs] = runTs(
      join(repoRoot, "packages", "service-kit", "src", "relay-main.ts"),
    );
    const relay = daemonComponent(options, {
      name: `${descriptor.service}-relay`,
      port: relayPort,
      readyTimeoutMs: 60_000,
      describe: () => `metrics http://${options.host}:${relayPort}/metrics`,
      async prepare() {
        return {
          command: relayCommand,
          args: [...relayArgs],
          cwd: descriptor.dir,
          env: {
            ...base,
            DATABASE_URL: databaseUrl,
            ...ownLogin,
            RELAY_CLIENT_ID: `${descriptor.service}-relay`,
            RELAY_METRICS_PORT: String(relayPort),
            ...(await tracingEnvironment(options)),
          },
        };
      },
      async isReady() {
        const response = await fetch(`http://${options.host}:${relayPort}/metrics`, {
          signal: AbortSignal.timeout(2_000),
        });
        return response.ok;
      },
    });
    return { service, relay };
  });
  return {
    services: started.map((entry) => entry.service),
    relays: started.flatMap((entry) => (entry.relay ? [entry.relay] : [])),
  };
}
