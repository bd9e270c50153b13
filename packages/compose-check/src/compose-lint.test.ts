import { describe, expect, it } from "vitest";
import {
  type ComposeModel,
  checkEnvironment,
  type LintFacts,
  lintCompose,
  type SpecVariable,
} from "./compose-lint.js";

const required = (check: (raw: string) => unknown = (raw) => raw): SpecVariable => ({ parse: check });
const optional = (value: unknown): SpecVariable => ({ default: value, parse: (raw) => raw });
const port: SpecVariable = {
  default: 3001,
  parse(raw) {
    if (!/^\d+$/.test(raw)) throw new Error("must be a port number");
    return Number(raw);
  },
};

const SPEC = {
  PORT: port,
  DATABASE_URL: required(),
  LOG_LEVEL: optional("info"),
  KAFKA_SASL_MECHANISM: optional("none"),
  KAFKA_USERNAME: optional(""),
  KAFKA_PASSWORD: optional(""),
};
const DB = "postgres://herald_order:pw@postgres:5432/herald_order";
const LOGIN = {
  KAFKA_SASL_MECHANISM: "scram-sha-512",
  KAFKA_USERNAME: "herald-order",
  KAFKA_PASSWORD: "o-pw",
};

function model(overrides: Partial<Record<string, object>> = {}): ComposeModel {
  return {
    services: {
      kafka: { image: "apache/kafka:3.9.1" },
      "kafka-init": {
        image: "apache/kafka:3.9.1",
        environment: { HERALD_ORDER_KAFKA_PASSWORD: "o-pw" },
        volumes: [{ type: "bind", source: "/repo/access.txt", target: "/herald/kafka-access.txt" }],
      },
      postgres: {
        image: "postgres:15",
        volumes: [{ type: "bind", source: "/repo/init.sql", target: "/docker-entrypoint-initdb.d/10.sql" }],
      },
      order: {
        image: "herald/order:0.1.0",
        build: {
          context: "/repo",
          dockerfile: "services/Dockerfile",
          args: { SERVICE: "order", VERSION: "0.1.0", PORT: "3001" },
        },
        environment: { PORT: "3001", DATABASE_URL: DB, ...LOGIN },
      },
      "order-relay": {
        image: "herald/order:0.1.0",
        command: ["node", "/app/packages/service-kit/dist/relay-main.js"],
        environment: { DATABASE_URL: DB, RELAY_METRICS_PORT: "3101", ...LOGIN },
      },
      ...overrides,
    },
  };
}

function facts(overrides: Partial<LintFacts> = {}): LintFacts {
  return {
    services: [{ name: "order", version: "0.1.0", port: 3001, relayMetricsPort: 3101, configSpec: SPEC }],
    imageVersions: { "apache/kafka": "3.9.1" },
    kafkaAccessFile: "/repo/access.txt",
    kafkaPrincipalOf: (service) => `herald-${service}`,
    relayVariables: [
      "DATABASE_URL",
      "RELAY_METRICS_PORT",
      "KAFKA_SASL_MECHANISM",
      "KAFKA_USERNAME",
      "KAFKA_PASSWORD",
    ],
    checkRelayEnvironment: (env) => {
      if (!env.DATABASE_URL) throw new Error("DATABASE_URL is required");
    },
    exists: (path) =>
      ["/repo", "/repo/services/Dockerfile", "/repo/init.sql", "/repo/access.txt"].includes(path),
    ...overrides,
  };
}

describe("lintCompose", () => {
  it("given a compose file in step with the repository, when linted, then it finds nothing", () => {
    expect(lintCompose(model(), facts())).toEqual([]);
  });

  it("given a required variable left out and an unknown one set, when linted, then it names both", () => {
    const order = model().services.order;
    const problems = lintCompose(
      model({ order: { ...order, environment: { PORT: "3001", DATABSE_URL: DB } } }),
      facts(),
    );
    expect(problems).toContain("order: DATABASE_URL is required by its configSpec but not set");
    expect(problems).toContain("order: DATABSE_URL is set but its configSpec has no such variable");
  });

  it("given a Dockerfile or bind-mount source that does not exist, when linted, then each is named", () => {
    const problems = lintCompose(model(), facts({ exists: (path) => path === "/repo" }));
    expect(problems).toEqual([
      "kafka-init: bind-mount source /repo/access.txt (for /herald/kafka-access.txt) does not exist",
      "postgres: bind-mount source /repo/init.sql (for /docker-entrypoint-initdb.d/10.sql) does not exist",
      "order: Dockerfile /repo/services/Dockerfile does not exist",
    ]);
  });

  it("given an image version other than the native stack's, when linted, then it says which", () => {
    const problems = lintCompose(model({ kafka: { image: "apache/kafka:3.8.0" } }), facts());
    expect(problems).toEqual([
      "kafka: image apache/kafka:3.8.0 but the native stack runs apache/kafka 3.9.1",
    ]);
  });

  it("given a service image tag or build argument out of step with package.json, when linted, then it is named", () => {
    const order = model().services.order;
    const problems = lintCompose(
      model({
        order: {
          ...order,
          image: "herald/order:latest",
          build: {
            context: "/repo",
            dockerfile: "services/Dockerfile",
            args: { SERVICE: "order", VERSION: "0.0.9", PORT: "3001" },
          },
        },
      }),
      facts(),
    );
    expect(problems).toContain("order: image should be herald/order:0.1.0 (its package.json version)");
    expect(problems).toContain("order: build arg VERSION should be 0.1.0");
  });

  it("given a relay missing, reading another database or an unknown variable, when linted, then each is named", () => {
    const { "order-relay": relay, ...withoutRelay } = model().services;
    expect(lintCompose({ services: withoutRelay }, facts())).toContain(
      "service order-relay (the outbox relay of order) is missing from the compose file",
    );
    const problems = lintCompose(
      model({
        "order-relay": {
          ...relay,
          environment: {
            DATABASE_URL: "postgres://other",
            LOG_LEVEL: "info",
            RELAY_METRICS_PORT: "3101",
            ...LOGIN,
          },
        },
      }),
      facts(),
    );
    expect(problems).toContain("order-relay: LOG_LEVEL is set but the relay reads no such variable");
    expect(problems).toContain(
      "order-relay: DATABASE_URL differs from order's (a relay publishes its service's outbox)",
    );
  });

  it("given a Kafka init missing or not mounting the generated access file, when linted, then it is named", () => {
    const { "kafka-init": init, ...withoutInit } = model().services;
    expect(lintCompose({ services: withoutInit }, facts())).toContain(
      "service kafka-init (credentials, topics and ACLs of the broker) is missing from the compose file",
    );
    expect(lintCompose(model({ "kafka-init": { ...init, volumes: [] } }), facts())).toEqual([
      "kafka-init: does not mount /repo/access.txt, the access the contract derives",
    ]);
  });

  it("given a relay without a login and a service logging in as another principal with another password, when linted, then each is named", () => {
    const { order, "order-relay": relay } = model().services;
    const problems = lintCompose(
      model({
        order: {
          ...order,
          environment: { PORT: "3001", DATABASE_URL: DB, ...LOGIN, KAFKA_USERNAME: "herald-admin" },
        },
        "order-relay": {
          ...relay,
          environment: { DATABASE_URL: DB, RELAY_METRICS_PORT: "3101", KAFKA_PASSWORD: "x" },
        },
      }),
      facts(),
    );
    expect(problems).toEqual([
      "order: KAFKA_USERNAME should be herald-order, the principal of order",
      "order-relay: KAFKA_SASL_MECHANISM is not set, but the broker refuses unauthenticated clients",
      "order-relay: KAFKA_USERNAME should be herald-order, the principal of order",
      "order-relay: KAFKA_PASSWORD differs from kafka-init's HERALD_ORDER_KAFKA_PASSWORD",
    ]);
  });

  it("given a service without a configSpec yet, when linted, then its environment is not judged", () => {
    const order = model().services.order;
    const problems = lintCompose(
      model({ order: { ...order, environment: { PORT: "3001", ANYTHING: "x", ...LOGIN } } }),
      facts({ services: [{ name: "order", version: "0.1.0", port: 3001 }] }),
    );
    expect(problems).toEqual([]);
  });
});

describe("checkEnvironment", () => {
  it("given a value the service would reject, when checked, then the reason is given and a secret is not shown", () => {
    const spec = {
      PORT: port,
      TOKEN: {
        secret: true,
        parse: () => {
          throw new Error("too short");
        },
      },
    };
    expect(checkEnvironment("svc", { PORT: "abc", TOKEN: "s3cr3t" }, spec)).toEqual([
      'svc: PORT ("abc") is rejected: must be a port number',
      "svc: TOKEN is rejected: too short",
    ]);
  });
});
