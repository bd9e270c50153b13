import { type ScratchSchema, serviceEnvironment, uniqueName, waitFor } from "@herald/dev-stack/testing";
import type { DomainEvent, TopicName } from "@herald/events";
import { type ConsumeReport, type Consumer, createConsumer } from "@herald/outbox";
import { buildServiceApp, createServiceContext, type ServiceContext } from "@herald/service-kit";
import {
  createTestKafka,
  type Inject,
  injectAs,
  startServiceUnderTest,
  testLogger,
  testTokens,
} from "@herald/service-kit/testing";
import type { FastifyInstance } from "fastify";
import type { AnalyticsConfig } from "../config.js";
import type { Summary } from "../read-models/queries.js";
import { ANALYTICS_TOPICS, registerAnalyticsRoutes } from "../routes.js";
import { analyticsService } from "../service.js";

/** The services' test logger (silent unless TEST_LOG_LEVEL names a level), which the harness's service uses. */
export { testLogger as logger } from "@herald/service-kit/testing";

/**
 * The Analytics service on a scratch schema, consuming its own prefixed copies of every topic
 * (created here, deleted at close), with a producer that writes events through the real serde.
 */
export interface AnalyticsHarness {
  readonly context: ServiceContext<AnalyticsConfig>;
  readonly app: FastifyInstance;
  readonly scratch: ScratchSchema;
  readonly topicName: (topic: TopicName) => string;
  /** A development-signed token with the operator role, and `app.inject` sending it. */
  readonly operatorToken: string;
  readonly operator: Inject;
  /** What the consumer did with each message, in order. */
  readonly reports: ConsumeReport[];
  /** Encodes each event with the registry serde and sends it to its (prefixed) topic, keyed as the relay keys it. */
  produce(events: readonly DomainEvent[]): Promise<void>;
  summary(): Promise<Summary>;
  /** Waits until the live figures count `facts` distinct events. */
  waitForFacts(facts: number, timeoutMs?: number): Promise<Summary>;
  /** Waits until the consumer reported `count` messages (processed or duplicate). */
  waitForReports(count: number, timeoutMs?: number): Promise<void>;
  startConsumer(): Promise<void>;
  close(): Promise<void>;
}

export async function createAnalyticsHarness(
  options: { env?: Record<string, string>; startConsumer?: boolean } = {},
): Promise<AnalyticsHarness> {
  const k = await createTestKafka({ name: "analytics", topics: ANALYTICS_TOPICS, partitions: 3 });
  const topicName = k.topic;
  const groupId = uniqueName("analytics_group");
  const service = await startServiceUnderTest(onTopics(topicName), {
    env: { DATABASE_POOL_SIZE: "6", ANALYTICS_STREAM_POLL_MS: "100", ...options.env },
  }).catch(async (error: unknown) => {
    await k.close();
    throw error;
  });
  const { context, pool, app, scratch } = service;
  const { kafka, serde } = context;
  const reports: ConsumeReport[] = [];
  const consumer: Consumer = createConsumer({
    kafka,
    pool,
    groupId,
    topics: ANALYTICS_TOPICS.map(topicName),
    serde,
    handle: analyticsService.consumer!.handler(context),
    retry: { initialMs: 50, maxMs: 500 },
    hooks: { outcome: (report) => reports.push(report) },
  });
  const close = async () => {
    await consumer.stop().catch(() => {});
    await k.admin.deleteGroups([groupId]).catch(() => {});
    await k.close([`${groupId}.dlq`]);
    await service.close();
  };

  let consuming = false;
  const startConsumer = async () => {
    if (consuming) return;
    consuming = true;
    await consumer.start();
  };
  try {
    await serde.register();
    if (options.startConsumer !== false) await startConsumer();
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  const operatorToken = await testTokens.staff("operator");
  const operator = injectAs(app, operatorToken);

  const summary = async () => (await operator("/analytics/summary")).json() as Summary;
  return {
    context,
    app,
    scratch,
    topicName,
    operatorToken,
    operator,
    reports,
    startConsumer,
    produce: (events) => k.send(...events),
    summary,
    async waitForFacts(facts, timeoutMs = 30_000) {
      let last: Summary | undefined;
      await waitFor(
        () => `${facts} facts (last saw ${last?.facts})`,
        async () => {
          last = await summary();
          return last.facts >= facts;
        },
        timeoutMs,
      );
      return last!;
    },
    async waitForReports(count, timeoutMs = 30_000) {
      await waitFor(`${count} consumer reports`, () => reports.length >= count, timeoutMs);
    },
    close,
  };
}

/** The service with its routes reading the consumer's facts under the harness's topic names. */
function onTopics(topicName: (topic: TopicName) => string): typeof analyticsService {
  return {
    ...analyticsService,
    routes: (app, context) => registerAnalyticsRoutes(app, context, { topicName }),
  };
}

/**
 * Another instance of the service on the harness's database, with `env` on top of the test
 * environment and no consumer of its own, listening on loopback; closing it ends its pool.
 */
export async function anotherInstance(
  h: AnalyticsHarness,
  env: Record<string, string>,
): Promise<FastifyInstance> {
  const context = createServiceContext(analyticsService, {
    env: serviceEnvironment(h.scratch.url, env),
    logger: testLogger,
  });
  const app = await buildServiceApp(onTopics(h.topicName), context);
  app.addHook("onClose", () => context.pool.end());
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app;
}

/** The base URL of an app listening on loopback. */
export function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}
