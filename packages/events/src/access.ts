import { EventsError } from "./errors.js";
import { type ServiceName, TOPICS, type TopicName } from "./topics.js";

/** What a service reads: its consumer group and the topics it subscribes to. */
export interface Subscription {
  readonly groupId: string;
  readonly topics: readonly TopicName[];
  /** Prefix of the short-lived groups the service also runs (e.g. analytics' rebuilds). */
  readonly groupPrefix?: string;
}

/**
 * Who reads what. With the topic registry's writers this is the whole of Kafka access: the
 * broker's ACLs are derived from it ({@link kafkaGrants}), and each service's consumer declares the
 * same through {@link subscriptionOf}, which refuses a service whose handlers need other topics.
 */
export const SUBSCRIPTIONS = Object.freeze({
  order: subscription("order-service", ["inventory", "payments"]),
  inventory: subscription("inventory-service", ["orders", "payments"]),
  payment: subscription("payment-service", ["orders", "inventory"]),
  email: subscription("email-service", ["orders", "payments", "analytics"]),
  analytics: subscription(
    "analytics-service",
    ["orders", "inventory", "payments", "notifications", "analytics"],
    "analytics-rebuild-",
  ),
}) satisfies Readonly<Record<ServiceName, Subscription>>;

/**
 * A service's subscription, checked against the topics its handlers react to: a service that
 * handles events of a topic the registry does not give it (or the reverse) fails when it loads.
 */
export function subscriptionOf(service: ServiceName, handledTopics: readonly TopicName[]): Subscription {
  const declared = SUBSCRIPTIONS[service];
  const key = (topics: readonly string[]) => [...new Set(topics)].sort().join(",");
  if (key(handledTopics) !== key(declared.topics))
    throw new EventsError(
      "EVENTS_ACCESS_MISMATCH",
      `${service} handles events of [${key(handledTopics)}] but SUBSCRIPTIONS gives it [${key(declared.topics)}]`,
    );
  return declared;
}

/** The dead-letter topic of a consumer group (the consumer's default: `<groupId>.dlq`). */
export function deadLetterTopicOf(groupId: string): string {
  return `${groupId}.dlq`;
}

/** The Kafka principal (SASL user name) of a service: `herald-<service>`. */
export function kafkaPrincipalOf(service: ServiceName): string {
  return `herald-${service}`;
}

/** One ACL: `principal` may do `operations` on the topic or group named (or prefixed) by `name`. */
export interface KafkaGrant {
  readonly principal: string;
  readonly resource: "topic" | "group";
  readonly pattern: "literal" | "prefixed";
  readonly name: string;
  readonly operations: readonly ("read" | "write" | "describe" | "delete")[];
}

/**
 * Every service's ACLs, least privilege: WRITE and DESCRIBE on its own topic and its dead-letter
 * topic (WRITE on a topic is also what an idempotent producer needs since Kafka 3.0), READ on the
 * topics it consumes and on its consumer group; analytics may also READ and DELETE its rebuild
 * groups. Topics are created by provisioning (a deploy step), so no service may create one.
 */
export function kafkaGrants(): KafkaGrant[] {
  return (Object.keys(SUBSCRIPTIONS) as ServiceName[]).flatMap((service) => {
    const principal = `User:${kafkaPrincipalOf(service)}`;
    const { groupId, topics, groupPrefix } = SUBSCRIPTIONS[service] as Subscription;
    const grant = (
      resource: KafkaGrant["resource"],
      name: string,
      operations: KafkaGrant["operations"],
      pattern: KafkaGrant["pattern"] = "literal",
    ): KafkaGrant => ({ principal, resource, pattern, name, operations });
    const written = Object.values(TOPICS)
      .filter((topic) => topic.writer === service)
      .map((topic) => topic.name);
    return [
      ...[...written, deadLetterTopicOf(groupId)].map((name) => grant("topic", name, ["write", "describe"])),
      ...topics.map((name) => grant("topic", name, ["read"])),
      grant("group", groupId, ["read"]),
      ...(groupPrefix ? [grant("group", groupPrefix, ["read", "delete"], "prefixed")] : []),
    ];
  });
}

/** The topics provisioning creates: every contract topic and every consumer's dead-letter topic. */
export function provisionedTopics(): string[] {
  return [
    ...Object.values(TOPICS).map((topic) => topic.name),
    ...Object.values(SUBSCRIPTIONS).map((s: Subscription) => deadLetterTopicOf(s.groupId)),
  ];
}

function subscription(groupId: string, topics: readonly TopicName[], groupPrefix?: string): Subscription {
  return Object.freeze({
    groupId,
    topics: Object.freeze(topics),
    ...(groupPrefix ? { groupPrefix } : {}),
  });
}
