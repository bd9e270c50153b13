export {
  type Access,
  type Authenticator,
  actsFor,
  assertActsFor,
  authConfigSpec,
  createAuthenticator,
  hasRole,
  type Principal,
  ROLES,
  type Role,
} from "./auth.js";
export { type BackgroundLoop, backgroundLoop } from "./background.js";
export { type ConfigOf, type ConfigSpec, env, loadConfig, type Variable } from "./config.js";
export { DEVELOPMENT_KEY_ID } from "./development-keys.js";
export { ServiceKitError, type ServiceKitErrorCode } from "./errors.js";
export {
  createHttpServer,
  createMetricsRegistry,
  type ErrorResponse,
  errorResponseRef,
  errorResponseSchema,
  errorResponses,
  type HttpServerOptions,
  orderIdQuerystring,
  type Readiness,
  type ReadinessCheck,
} from "./http.js";
export {
  consumerLogHooks,
  createKafka,
  KAFKA_SASL_MECHANISMS,
  type KafkaSettings,
  kafkaAuthentication,
  kafkaConfigSpec,
  kafkaProductionProblems,
  relayLogHooks,
} from "./kafka.js";
export { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "./logger.js";
export {
  groupIdOf,
  parseServiceManifest,
  readServiceManifest,
  type ServiceManifest,
} from "./manifest.js";
export { type Migration, runMigrations } from "./migrations.js";
export { postgresReadiness, withTransaction } from "./postgres.js";
export { type RateLimit, rateLimits } from "./rate-limits.js";
export {
  buildServiceApp,
  type Clock,
  type ConsumerTuning,
  createServiceContext,
  defineService,
  loadServiceConfig,
  type RunningService,
  runService,
  type ServiceConfig,
  type ServiceConfigSpec,
  type ServiceContext,
  type ServiceDefinition,
  serviceConfigSpec,
  startService,
} from "./service.js";
export { createShutdown, type Shutdown } from "./shutdown.js";
export { SAFE_STRING_PATTERN, safeString } from "./strings.js";
export {
  startTelemetry,
  type Telemetry,
  telemetryConfigSpec,
  traceHttp,
  traceLogFields,
} from "./telemetry.js";
export { issueDevelopmentToken, type TokenRequest } from "./tokens.js";
