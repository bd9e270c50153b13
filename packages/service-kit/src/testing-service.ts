import {
  createScratchSchema,
  type Infra,
  type ScratchSchema,
  serviceEnvironment,
  testInfra,
} from "@herald/dev-stack/testing";
import { outboxMigrations } from "@herald/outbox";
import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { type Logger, pino } from "pino";
import type { ConfigOf } from "./config.js";
import { runMigrations } from "./migrations.js";
import {
  buildServiceApp,
  createServiceContext,
  type ServiceConfig,
  type ServiceConfigSpec,
  type ServiceContext,
  type ServiceDefinition,
} from "./service.js";

/** The logger of services under test: silent unless TEST_LOG_LEVEL names a level. */
export const testLogger: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** A service's context and app on a fresh scratch schema of its database, with its tables. */
export interface ServiceUnderTest<C extends ServiceConfig> {
  readonly scratch: ScratchSchema;
  readonly context: ServiceContext<C>;
  readonly pool: pg.Pool;
  /** The service's app, ready for `inject`. */
  readonly app: FastifyInstance;
  /** Closes the app and the pool and drops the schema. */
  close(): Promise<void>;
}

export interface ServiceUnderTestOptions {
  /** On top of the test environment ({@link serviceEnvironment}) of the scratch schema. */
  readonly env?: Record<string, string>;
  /** {@link testLogger} unless given. */
  readonly logger?: Logger;
  readonly now?: () => Date;
}

/**
 * What each service's test harness starts with: a scratch schema of the service's own database
 * (`<service>_test_…`), the service's context configured for this run's infra, the outbox's and the
 * service's migrations, and its app (the kit's routes and the definition's). What a failing start
 * made is closed and dropped before the error is thrown.
 */
export async function startServiceUnderTest<S extends ServiceConfigSpec>(
  definition: ServiceDefinition<S>,
  options: ServiceUnderTestOptions,
): Promise<ServiceUnderTest<ConfigOf<S>>> {
  const { name } = definition.manifest;
  const scratch = await createScratchSchema(
    testInfra().databaseUrls[name as keyof Infra["databaseUrls"]],
    `${name}_test`,
  );
  let context: ServiceContext<ConfigOf<S>> | undefined;
  let app: FastifyInstance | undefined;
  try {
    context = createServiceContext(definition, {
      env: serviceEnvironment(scratch.url, options.env),
      logger: options.logger ?? testLogger,
      ...(options.now ? { now: options.now } : {}),
    });
    await runMigrations(context.pool, [...outboxMigrations, ...definition.migrations]);
    app = await buildServiceApp(definition, context);
    await app.ready();
  } catch (error) {
    await app?.close().catch(() => {});
    await context?.pool.end().catch(() => {});
    await scratch.drop().catch(() => {});
    throw error;
  }
  const { pool } = context;
  const ready = app;
  return {
    scratch,
    context,
    pool,
    app: ready,
    async close() {
      await ready.close();
      await pool.end();
      await scratch.drop();
    },
  };
}
