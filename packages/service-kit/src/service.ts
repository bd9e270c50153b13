import { createEventSerde } from "@herald/events";
import { createRelay, OUTBOX_ERROR_STATUS, outboxHealth, outboxMigrations } from "@herald/outbox";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { Logger } from "pino";
import { authProductionProblems, createAuthenticator } from "./auth.js";
import { type ConfigOf, loadConfig } from "./config.js";
import { joinInBackground } from "./consumer-join.js";
import { ServiceKitError } from "./errors.js";
import { createHttpServer, createMetricsRegistry, type Readiness } from "./http.js";
import {
  assertKafkaSettings,
  createKafka,
  kafkaAuthentication,
  kafkaProductionProblems,
  relayLogHooks,
} from "./kafka.js";
import { createLogger } from "./logger.js";
import { groupIdOf } from "./manifest.js";
import { runMigrations } from "./migrations.js";
import { openPool, postgresReadiness } from "./postgres.js";
import {
  type Clock,
  type ServiceConfig,
  type ServiceConfigSpec,
  type ServiceContext,
  type ServiceDefinition,
  serviceConfigSpec,
} from "./service-definition.js";
import { createShutdown, type Shutdown } from "./shutdown.js";
import { startTelemetry } from "./telemetry.js";

/** The definition's types and the shared config spec, declared in service-definition.ts. */
export * from "./service-definition.js";

/** The shared keys of a service's config (its spec extends {@link serviceConfigSpec}, so they are there). */
function sharedConfig(config: unknown): ServiceConfig {
  return config as ServiceConfig;
}

/**
 * The service's config, validated; in production mode (`HERALD_ENV=production`) a development
 * key, token or password stops the service here, with every reason in one line.
 */
export function loadServiceConfig<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const config = loadConfig(definition.configSpec, source);
  const shared = sharedConfig(config);
  assertKafkaSettings(shared);
  if (shared.HERALD_ENV !== "production") return config;
  const problems = [
    ...authProductionProblems(shared),
    ...kafkaProductionProblems(shared),
    ...(definition.productionProblems?.(config) ?? []),
  ];
  if (problems.length > 0)
    throw new ServiceKitError(
      "SERVICE_CONFIG_INVALID",
      `production mode refuses development settings: ${problems.join("; ")}`,
    );
  return config;
}

/**
 * Types a definition and checks it against its manifest: a consumer that handles events of other
 * topics than the manifest's `reads` (which its Kafka ACLs are derived from) fails here, at load.
 */
export function defineService<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
): ServiceDefinition<S> {
  const { manifest, consumer } = definition;
  const key = (topics: readonly string[]) => [...new Set(topics)].sort().join(",");
  if (key(consumer?.topics ?? []) !== key(manifest.reads))
    throw new ServiceKitError(
      "SERVICE_READS_MISMATCH",
      `${manifest.name} handles events of [${key(consumer?.topics ?? [])}] but its package.json reads [${key(manifest.reads)}]`,
    );
  return definition;
}

/** The context of a service from its environment, without starting anything (tests use it too). */
export function createServiceContext<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger; now?: Clock } = {},
): ServiceContext<ConfigOf<S>> {
  const config = loadServiceConfig(definition, options.env ?? process.env);
  const shared = sharedConfig(config);
  const logger =
    options.logger ?? createLogger({ service: definition.manifest.name, level: shared.LOG_LEVEL });
  const pool = openPool(shared.DATABASE_URL, shared.DATABASE_POOL_SIZE, definition.manifest.name, logger);
  return {
    name: definition.manifest.name,
    manifest: definition.manifest,
    config,
    pool,
    logger,
    metrics: createMetricsRegistry(definition.manifest.name),
    // In production schemas are registered by the deploy step; the service only looks their ids up.
    serde: createEventSerde({
      registryUrl: shared.SCHEMA_REGISTRY_URL,
      schemas: shared.HERALD_ENV === "production" ? "lookup" : "register",
    }),
    kafka: createKafka({
      brokers: shared.KAFKA_BROKERS,
      clientId: groupIdOf(definition.manifest),
      logger,
      ...kafkaAuthentication(shared),
    }),
    auth: createAuthenticator(shared),
    now: options.now ?? (() => new Date()),
  };
}

/** The service's HTTP app: the kit's operations routes plus the service's own (tests `inject` into it). */
export async function buildServiceApp<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  context: ServiceContext<ConfigOf<S>>,
  readiness: Readonly<Record<string, Readiness>> = { database: postgresReadiness(context.pool) },
): Promise<FastifyInstance> {
  const app = await createHttpServer({
    logger: context.logger,
    api: {
      title: `Herald ${definition.manifest.name[0]!.toUpperCase()}${definition.manifest.name.slice(1)} service`,
      version: definition.manifest.version,
      description: definition.description,
    },
    metrics: context.metrics,
    auth: context.auth,
    readiness,
    errorStatus: { ...OUTBOX_ERROR_STATUS, ...definition.http?.errorStatus },
    ...(definition.http?.bodyLimit ? { bodyLimit: definition.http.bodyLimit } : {}),
  });
  await definition.routes(app, context);
  return app;
}

export interface RunningService<C extends ServiceConfig = ServiceConfig> {
  readonly context: ServiceContext<C>;
  readonly app: FastifyInstance;
  /** Where HTTP listens, e.g. `http://127.0.0.1:3002`. */
  readonly url: string;
  /** Settles once the consumer has joined its group (at once for a service without one). */
  readonly consumerJoined: Promise<void>;
  /** Stops HTTP first, then the consumer, background work and relay, and closes the pool last. */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts a service in this process: migrations, then HTTP as soon as the service's own database is
 * ready, then (in the background, reported by `/health/ready`) the outbox relay and the consumer,
 * whose group join can take as long as the broker waits for a dead predecessor's session to end.
 */
export async function startService<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger; now?: Clock; shutdown?: Shutdown } = {},
): Promise<RunningService<ConfigOf<S>>> {
  const context = createServiceContext(definition, options);
  const { pool, logger, kafka, serde, metrics } = context;
  const config = sharedConfig(context.config);
  const shutdown = options.shutdown ?? createShutdown({ logger });
  const telemetry = startTelemetry(context.name, options.env ?? process.env); // closed last: flushes spans
  shutdown.add("telemetry", () => telemetry.shutdown());
  shutdown.add("postgres", () => pool.end());
  try {
    const applied = await runMigrations(pool, [...outboxMigrations, ...definition.migrations]);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");

    const admin = kafka.admin();
    shutdown.add("kafka-admin", () => admin.disconnect());
    let kafkaConnected: Promise<void> | undefined;
    const kafkaReadiness = async () => {
      kafkaConnected ??= admin.connect().catch((error: unknown) => {
        kafkaConnected = undefined;
        throw error;
      });
      await kafkaConnected;
      await admin.describeCluster();
    };

    if (config.RELAY_MODE === "in-process") {
      const relay = createRelay({
        pool,
        kafka,
        serde,
        metrics,
        hooks: relayLogHooks(logger.child({ component: "relay" })),
      });
      shutdown.add("relay", () => relay.stop());
      // The relay retries on its own until Kafka and the registry answer.
      relay.start().catch((error: unknown) => logger.error({ err: error }, "outbox relay failed to start"));
    }

    const consumer = definition.consumer && joinInBackground(definition, context, shutdown);
    const stopBackground = definition.background?.(context);
    if (stopBackground) shutdown.add("background", stopBackground);

    // Ready means the HTTP API works: the database answers and the outbox takes writes. Kafka, the
    // relay and the consumer are reported, but the outbox exists so that writes go on without them.
    const readiness: Record<string, Readiness> = {
      database: postgresReadiness(pool),
      outbox: () => outboxProblems(pool, (code) => code !== "OUTBOX_RELAY_NOT_PUBLISHING"),
      publishing: {
        check: () => outboxProblems(pool, (code) => code === "OUTBOX_RELAY_NOT_PUBLISHING"),
        informational: true,
      },
      kafka: { check: kafkaReadiness, informational: true },
    };
    if (consumer) readiness.consumer = { check: consumer.readiness, informational: true };
    const app = await buildServiceApp(definition, context, readiness);
    shutdown.add("http", () => app.close());
    await app.listen({ port: config.PORT, host: config.HOST });
    const { port } = app.server.address() as { port: number };
    const url = `http://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${port}`;
    logger.info({ port, relay: config.RELAY_MODE }, `${definition.manifest.name} service listening`);
    serde
      .register()
      .catch((error: unknown) =>
        logger.warn({ err: error }, "schema registration deferred: the registry did not answer"),
      );
    return {
      context,
      app,
      url,
      consumerJoined: consumer?.joined ?? Promise.resolve(),
      stop: (reason = "stopped") => shutdown.close(reason),
    };
  } catch (error) {
    await shutdown.close("startup failed");
    throw error;
  }
}

/** Throws the outbox's problems that `which` selects, named by code. */
async function outboxProblems(pool: pg.Pool, which: (code: string) => boolean): Promise<void> {
  const problems = (await outboxHealth(pool)).problems.filter((problem) => which(problem.code));
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.code}: ${p.message}`).join("; "));
}

/**
 * The whole of a service's `main.ts`: reads the environment (a bad value exits with 2 and a message
 * naming it), starts the service, and stops it on SIGTERM/SIGINT.
 */
export async function runService<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  let logger: Logger;
  try {
    logger = createLogger({
      service: definition.manifest.name,
      level: sharedConfig(loadServiceConfig(definition)).LOG_LEVEL,
    });
  } catch (error) {
    if (!(error instanceof ServiceKitError)) throw error;
    console.error(`${definition.manifest.name} service: ${error.message}`);
    process.exit(2);
  }
  const shutdown = createShutdown({ logger });
  shutdown.listen();
  try {
    await startService(definition, { logger, shutdown });
  } catch (error) {
    logger.fatal({ err: error }, `${definition.manifest.name} service failed to start`);
    process.exit(1);
  }
}
