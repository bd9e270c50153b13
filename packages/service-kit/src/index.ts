export { type ConfigOf, type ConfigSpec, env, loadConfig, type Variable } from "./config.js";
export { ServiceKitError, type ServiceKitErrorCode } from "./errors.js";
export {
  createHttpServer,
  createMetricsRegistry,
  type ErrorResponse,
  errorResponseRef,
  errorResponseSchema,
  type HttpServerOptions,
  type ReadinessCheck,
} from "./http.js";
export { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "./logger.js";
export { type Migration, runMigrations } from "./migrations.js";
export { postgresReadiness, withTransaction } from "./postgres.js";
export { createShutdown, type Shutdown } from "./shutdown.js";
