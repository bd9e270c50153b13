import type { EventSerde, TopicName } from "@herald/events";
import type { ConsumerOptions } from "@herald/outbox";
import type { FastifyInstance } from "fastify";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type Authenticator, authConfigSpec } from "./auth.js";
import { type ConfigOf, env } from "./config.js";
import { kafkaConfigSpec } from "./kafka.js";
import { LOG_LEVELS } from "./logger.js";
import type { ServiceManifest } from "./manifest.js";
import type { Migration } from "./migrations.js";

// What a service declares and what it is built from, apart from the runtime that starts it
// (service.ts), so that the pieces of that runtime (the consumer's join) can name them.

/** The settings every service has; a service spreads this into its own spec and adds its keys. */
export function serviceConfigSpec(defaults: Pick<ServiceManifest, "port">) {
  return {
    PORT: env.integer({
      description: "HTTP port (0: any free one)",
      default: defaults.port,
      min: 0,
      max: 65_535,
    }),
    HOST: env.string({ description: "interface to listen on", default: "0.0.0.0" }),
    DATABASE_URL: env.url({
      description: "the service's own Postgres database",
      protocols: ["postgres:", "postgresql:"],
      secret: true,
    }),
    DATABASE_POOL_SIZE: env.integer({
      description: "Postgres connections at most, for the HTTP routes, the relay and background work",
      default: 10,
      min: 2,
      max: 200,
    }),
    DATABASE_CONSUMER_POOL_SIZE: env.integer({
      description:
        "Postgres connections of the consumer's own (a burst of requests waiting on the routes' pool cannot starve the saga)",
      default: 2,
      min: 1,
      max: 50,
    }),
    CONSUMER_PARTITIONS_CONCURRENTLY: env.integer({
      description:
        "partitions the consumer handles at once, each in transactions of its own (order holds within a partition); the consumer's pool gets at least as many connections. Above 1 only where no two orders' handlers lock one row: partitions whose chunks share rows wait on and deadlock with each other",
      default: 1,
      min: 1,
      max: 64,
    }),
    KAFKA_BROKERS: env.list({ description: "Kafka bootstrap brokers, host:port,...", item: /^[^\s:]+:\d+$/ }),
    SCHEMA_REGISTRY_URL: env.url({
      description: "Confluent-API schema registry",
      protocols: ["http:", "https:"],
    }),
    LOG_LEVEL: env.oneOf(LOG_LEVELS, { description: "pino log level", default: "info" }),
    RELAY_MODE: env.oneOf(["in-process", "external"], {
      description:
        "in-process runs the outbox relay inside this service; external leaves it to the relay process",
      default: "in-process",
    }),
    ...authConfigSpec(),
    ...kafkaConfigSpec(),
  };
}

export type ServiceConfigSpec = ReturnType<typeof serviceConfigSpec>;
export type ServiceConfig = ConfigOf<ServiceConfigSpec>;

/** What a service's routes, handlers and background work are built from. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  readonly name: string;
  readonly manifest: ServiceManifest;
  readonly config: C;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly serde: EventSerde;
  readonly kafka: Kafka;
  /** Verifies the bearer tokens of requests (the HTTP app uses it for every non-public route). */
  readonly auth: Authenticator;
  /** The clock of the service's decisions; tests move it. */
  readonly now: Clock;
}

/** The one clock type: what reads the time (a service's decisions, its workers, tests that move it) takes a Clock. */
export type Clock = () => Date;

/** Consumer settings a service may tune; the rest is wired by the kit. */
export type ConsumerTuning = Partial<
  Omit<ConsumerOptions, "kafka" | "pool" | "groupId" | "topics" | "serde" | "handle" | "metrics" | "hooks">
>;

/** A service, declared: the kit turns it into a running process (see {@link startService}). */
export interface ServiceDefinition<S extends ServiceConfigSpec = ServiceConfigSpec> {
  /** Name, version, port and topics, from the service's package.json (see {@link readServiceManifest}). */
  readonly manifest: ServiceManifest;
  /** Shown in the OpenAPI document. */
  readonly description: string;
  readonly configSpec: S;
  /** The service's own tables; the outbox's migrations run before them. */
  readonly migrations: readonly Migration[];
  /** The facts the service reacts to, handled once each inside the inbox transaction. */
  readonly consumer?: {
    /** The topics the handler reacts to; they must be the manifest's `reads` (checked when it loads). */
    readonly topics: readonly TopicName[];
    /** Built once at start; runs inside the inbox transaction (enqueue with the same `tx`). */
    handler(context: ServiceContext<ConfigOf<S>>): ConsumerOptions["handle"];
    readonly tuning?: ConsumerTuning;
  };
  readonly http?: {
    /** The service's error codes and their HTTP status. */
    readonly errorStatus?: Readonly<Record<string, number>>;
    readonly bodyLimit?: number;
  };
  /** Adds the service's routes to the app the kit built (health, metrics and docs are there already). */
  routes(app: FastifyInstance, context: ServiceContext<ConfigOf<S>>): void | Promise<void>;
  /** Why the service's own settings cannot run in production (development secrets); empty when they can. */
  productionProblems?(config: ConfigOf<S>): string[];
  /** Work that runs beside requests and events (timers, senders); returns how to stop it. */
  background?(context: ServiceContext<ConfigOf<S>>): (() => void | Promise<void>) | undefined;
}
