import type { Component, ComponentStatus } from "./component.js";
import type { StackOptions } from "./config.js";
import type { Infra } from "./infra.js";
import { kafkaComponent } from "./kafka.js";
import { mailSinkComponent } from "./mail-sink.js";
import { postgresComponent } from "./postgres.js";
import { registryComponent, schemaRegistryUrl } from "./registry.js";
import { serviceComponents } from "./service-processes.js";
import { databaseLogin, databaseUrl, KAFKA_ADMIN_LOGIN } from "./services.js";
import { discoverServices, SERVICE_NAMES, type ServiceName } from "./workspace.js";
import { zipkinComponent } from "./zipkin.js";

export type { Infra } from "./infra.js";

export interface Stack {
  /** Starts what is not running, in dependency order; returns the names of what it started. */
  up(): Promise<string[]>;
  /** Stops the named components (all by default), in reverse order. */
  down(only?: readonly string[]): Promise<string[]>;
  status(): Promise<ComponentStatus[]>;
  readonly infra: Infra;
  /** The stack's components by name (e.g. `kafka`, `order`, `order-relay`), to stop, kill or restart one. */
  component(name: string): Component;
  /** `http://host:port` of a service this stack runs. */
  serviceUrl(service: ServiceName): string;
}

export interface StackScope {
  /** Also run every service and its relay natively (what `stack:up` does); tests need only the infrastructure. */
  readonly services: boolean;
  /** Also run Zipkin, the trace UI every service and relay started afterwards sends spans to (`stack:up`). */
  readonly traces?: boolean;
}

export function createStack(options: StackOptions, scope: StackScope = { services: false }): Stack {
  const admin = new URL(options.postgresAdminUrl);
  const postgres =
    options.postgres === "own"
      ? { host: options.host, port: options.ports.postgres }
      : { host: admin.hostname, port: Number(admin.port || 5432) };
  const infra: Infra = {
    kafkaBrokers: [`${options.host}:${options.ports.kafka}`],
    kafkaLogin: KAFKA_ADMIN_LOGIN,
    schemaRegistryUrl: schemaRegistryUrl(options.host, options.ports.schemaRegistry),
    databaseUrls: Object.fromEntries(
      SERVICE_NAMES.map((service) => [
        service,
        databaseUrl(databaseLogin(service), postgres.host, postgres.port),
      ]),
    ) as Record<ServiceName, string>,
    smtpUrl: `smtp://${options.host}:${options.ports.smtp}`,
    mailApiUrl: `http://${options.host}:${options.ports.mailWeb}`,
  };
  const infrastructure: Component[] = [
    postgresComponent(options),
    kafkaComponent(options),
    registryComponent(options, postgres),
    mailSinkComponent(options),
    // The trace UI: stack:up's (the e2e tier starts it in its setup; benches run untraced unless told).
    ...(scope.traces ? [zipkinComponent(options)] : []),
  ];
  const { services, relays } = scope.services
    ? serviceComponents(options, infra, discoverServices(undefined, options.ports.serviceOffset))
    : { services: [], relays: [] };
  const components = [...infrastructure, ...services, ...relays];
  return {
    infra,
    async up() {
      const started: string[] = [];
      // Postgres first (the registry stores its schemas there), then the JVMs and the mail sink side
      // by side, then the services (they register schemas and migrate at start), then their relays.
      const [postgresStep, ...jvmsAndSinks] = infrastructure;
      for (const step of [[postgresStep!], jvmsAndSinks, services, relays]) {
        const results = await Promise.allSettled(
          step.map(async (c) => ((await c.up()) ? c.name : undefined)),
        );
        for (const result of results)
          if (result.status === "fulfilled" && result.value) started.push(result.value);
        const failure = results.find(
          (result): result is PromiseRejectedResult => result.status === "rejected",
        );
        if (failure) {
          await this.down(started);
          throw failure.reason;
        }
      }
      return started;
    },
    async down(only) {
      const stopped: string[] = [];
      for (const component of [...components].reverse()) {
        if (only && !only.includes(component.name)) continue;
        if (await component.down()) stopped.push(component.name);
      }
      return stopped;
    },
    status: () => Promise.all(components.map((component) => component.status())),
    component(name) {
      const found = components.find((component) => component.name === name);
      if (!found) throw new Error(`this stack has no component "${name}"`);
      return found;
    },
    serviceUrl(service) {
      const descriptor = discoverServices(undefined, options.ports.serviceOffset).find(
        (d) => d.service === service,
      );
      if (!descriptor) throw new Error(`no service "${service}" is declared under services/`);
      return `http://${options.host}:${descriptor.port}`;
    },
  };
}
