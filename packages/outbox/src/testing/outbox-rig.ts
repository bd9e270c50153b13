import type { Infra } from "@herald/dev-stack/testing";
import { afterEach } from "vitest";
import { createRelay, type Relay, type RelayOptions } from "../relay.js";
import {
  type Collector,
  collect,
  createTestDatabase,
  createTestTopics,
  type TestDatabase,
  type TestTopics,
} from "./support.js";

export interface OutboxSetUp {
  readonly db: TestDatabase;
  readonly topics: TestTopics;
  /** Reads the orders topic from the beginning. */
  readonly collector: Collector;
}

interface SetUpOptions {
  /** Of the scratch schema's name. */
  readonly prefix?: string;
  /** Another broker than the run's (a test's private one). */
  readonly broker?: Pick<Infra, "kafkaBrokers" | "kafkaLogin" | "kafkaSsl">;
  /** Another database than the run's order database (a test's private cluster). */
  readonly databaseUrl?: string;
}

/**
 * What the outbox's integration tests share: a scratch outbox (`database`), topics of the test's own
 * with a collector on them (`setUp`), relays publishing from the one to the others (`relay`), and,
 * after each test, whatever the test handed to `release`, then the relays, the collector, the topics
 * and the outbox, stopped and dropped in that order. Call it inside a `describe`.
 */
export function outboxRig() {
  let db: TestDatabase | undefined;
  let topics: TestTopics | undefined;
  let collector: Collector | undefined;
  const relays: Relay[] = [];
  const releases: (() => unknown)[] = [];

  afterEach(async () => {
    for (const release of releases.splice(0).reverse()) await release();
    for (const relay of relays.splice(0)) await relay.stop();
    await collector?.stop();
    await topics?.delete().catch(() => {});
    await db?.drop();
    collector = undefined;
    topics = undefined;
    db = undefined;
  });

  /** A scratch schema with the outbox migrations applied, dropped after the test. */
  async function database(prefix?: string, databaseUrl?: string): Promise<TestDatabase> {
    db = await createTestDatabase(prefix, databaseUrl);
    return db;
  }

  /** The outbox and the test's topics, and a collector reading them unless `collect` is false. */
  async function setUp(options?: SetUpOptions & { collect?: true }): Promise<OutboxSetUp>;
  async function setUp(options: SetUpOptions & { collect: false }): Promise<Omit<OutboxSetUp, "collector">>;
  async function setUp(
    options: SetUpOptions & { collect?: boolean } = {},
  ): Promise<Omit<OutboxSetUp, "collector"> & { collector?: Collector }> {
    const made = await database(options.prefix, options.databaseUrl);
    const madeTopics = await createTestTopics(options.broker);
    topics = madeTopics;
    if (options.collect === false) return { db: made, topics: madeTopics };
    collector = await collect(madeTopics.kafka, madeTopics.serde, [madeTopics.name("orders")]);
    return { db: made, topics: madeTopics, collector };
  }

  /** A relay from the test's outbox to its topics (not started), stopped after the test. */
  function relay(options: Partial<RelayOptions> = {}): Relay {
    const created = createRelay({
      pool: db!.pool,
      kafka: topics!.kafka,
      serde: topics!.serde,
      topicName: (topic) => topics!.name(topic),
      ...options,
    });
    relays.push(created);
    return created;
  }

  /** Stops every relay made so far (the test goes on without them). */
  async function stopRelays(): Promise<void> {
    for (const made of relays.splice(0)) await made.stop();
  }

  /** Has `resource` released after the test (before the relays stop), last handed first. */
  function release<T>(resource: T, how: (resource: T) => unknown): T {
    releases.push(() => how(resource));
    return resource;
  }

  return {
    database,
    setUp,
    relay,
    stopRelays,
    release,
    /** The current test's outbox, once made. */
    get db(): TestDatabase | undefined {
      return db;
    },
  };
}
