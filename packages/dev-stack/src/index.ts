export type { ComponentStatus } from "./component.js";
export {
  defaultStackOptions,
  PORTS,
  type PostgresSource,
  privateStackOptions,
  type StackOptions,
  type StackPorts,
  VERSIONS,
} from "./config.js";
export { infraFromEnvironment, infraToEnvironment } from "./environment.js";
export { StackError } from "./errors.js";
export {
  deadLetterTopicOf,
  groupIdOf,
  type KafkaGrant,
  kafkaGrants,
  kafkaPrincipalOf,
  provisionedTopics,
} from "./kafka-access.js";
export { kafkaConfig } from "./kafka-client.js";
export { uniqueName } from "./names.js";
export { renderInitDatabases } from "./postgres.js";
export { createScratchSchema, type ScratchSchema } from "./scratch-schema.js";
export {
  databaseLogin,
  databaseUrlVariable,
  KAFKA_ADMIN_LOGIN,
  type KafkaLogin,
  type KafkaMechanism,
  kafkaLogin,
  kafkaLoginEnvironment,
} from "./services.js";
export { createStack, type Infra, type Stack } from "./stack.js";
export { discoverServices, SERVICE_NAMES, type ServiceDescriptor, type ServiceName } from "./workspace.js";
export { ZIPKIN_VERSION, zipkinComponent, zipkinUrl } from "./zipkin.js";
