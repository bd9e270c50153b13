import kafkajs, { type AclEntry, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { discoverServices, type ServiceDescriptor } from "./workspace.js";

// CommonJS exports Node cannot name statically.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** One ACL: `principal` may do `operations` on the topic or group named (or prefixed) by `name`. */
export interface KafkaGrant {
  readonly principal: string;
  readonly resource: "topic" | "group";
  readonly pattern: "literal" | "prefixed";
  readonly name: string;
  readonly operations: readonly ("read" | "write" | "describe" | "delete")[];
}

/** The consumer group of a service (the kit's `groupIdOf`): `<service>-service`. */
export function groupIdOf(service: string): string {
  return `${service}-service`;
}

/** The dead-letter topic of a consumer group (the consumer's default: `<groupId>.dlq`). */
export function deadLetterTopicOf(groupId: string): string {
  return `${groupId}.dlq`;
}

/** The Kafka principal (SASL user name) of a service: `herald-<service>`. */
export function kafkaPrincipalOf(service: string): string {
  return `herald-${service}`;
}

type ServiceAccess = Pick<ServiceDescriptor, "service" | "writes" | "reads" | "groupPrefix">;

/**
 * Every service's ACLs, least privilege, from what each package.json declares it writes and reads:
 * WRITE and DESCRIBE on its own topics and its dead-letter topic (WRITE is also what an idempotent
 * producer needs since Kafka 3.0), READ on the topics it consumes and on its consumer group, READ
 * and DELETE on the groups under its `groupPrefix`. Topics are created by provisioning (a deploy
 * step), so no service may create one.
 */
export function kafkaGrants(services: readonly ServiceAccess[] = discoverServices()): KafkaGrant[] {
  return services.flatMap(({ service, writes, reads, groupPrefix }) => {
    const principal = `User:${kafkaPrincipalOf(service)}`;
    const groupId = groupIdOf(service);
    const grant = (
      resource: KafkaGrant["resource"],
      name: string,
      operations: KafkaGrant["operations"],
      pattern: KafkaGrant["pattern"] = "literal",
    ): KafkaGrant => ({ principal, resource, pattern, name, operations });
    return [
      ...[...writes, deadLetterTopicOf(groupId)].map((name) => grant("topic", name, ["write", "describe"])),
      ...reads.map((name) => grant("topic", name, ["read"])),
      grant("group", groupId, ["read"]),
      ...(groupPrefix ? [grant("group", groupPrefix, ["read", "delete"], "prefixed")] : []),
    ];
  });
}

/** The topics provisioning creates: every topic a service writes and every consumer's dead-letter topic. */
export function provisionedTopics(services: readonly ServiceAccess[] = discoverServices()): string[] {
  return [
    ...new Set(services.flatMap((s) => s.writes)),
    ...services.map((s) => deadLetterTopicOf(groupIdOf(s.service))),
  ];
}

const OPERATIONS = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  delete: AclOperationTypes.DELETE,
} as const;

/** kafkajs ACL entries of grants: one ALLOW per operation, from any host. */
export function aclEntries(grants: readonly KafkaGrant[]): AclEntry[] {
  return grants.flatMap((grant) =>
    grant.operations.map((operation) => ({
      resourceType: grant.resource === "topic" ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
      resourceName: grant.name,
      resourcePatternType:
        grant.pattern === "prefixed" ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: grant.principal,
      host: "*",
      operation: OPERATIONS[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/**
 * The deploy step the native stack runs once its broker is up (compose's kafka-init applies the
 * same, from a file generated from the same contract): creates the contract topics and every
 * consumer's dead-letter topic (services may not create topics), then the services' ACLs.
 * Idempotent; `config` must log in as a super user.
 */
export async function provisionKafkaAccess(
  config: KafkaConfig,
): Promise<{ created: string[]; acls: number }> {
  const services = discoverServices();
  const grants = kafkaGrants(services);
  const topics = provisionedTopics(services);
  const admin = new Kafka({ logLevel: logLevel.NOTHING, ...config }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const created = topics.filter((topic) => !existing.has(topic));
    if (created.length > 0)
      await admin.createTopics({ topics: created.map((topic) => ({ topic })), waitForLeaders: true });
    const acl = aclEntries(grants);
    await admin.createAcls({ acl });
    return { created, acls: acl.length };
  } finally {
    await admin.disconnect();
  }
}
