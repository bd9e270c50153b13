import kafkajs, { type AclEntry, Kafka, type KafkaConfig, logLevel } from "kafkajs";

// CommonJS exports Node cannot name statically.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** One ACL as `@herald/events` declares it (`kafkaGrants`). */
export interface KafkaGrant {
  readonly principal: string;
  readonly resource: "topic" | "group";
  readonly pattern: "literal" | "prefixed";
  readonly name: string;
  readonly operations: readonly ("read" | "write" | "describe" | "delete")[];
}

/** The access contract of `@herald/events`, loaded at run time (the events package tests with this one). */
export async function loadAccessContract(): Promise<{ grants: KafkaGrant[]; topics: string[] }> {
  const events = (await import("@herald/events")) as {
    kafkaGrants(): KafkaGrant[];
    provisionedTopics(): string[];
  };
  return { grants: events.kafkaGrants(), topics: events.provisionedTopics() };
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
  const { grants, topics } = await loadAccessContract();
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
