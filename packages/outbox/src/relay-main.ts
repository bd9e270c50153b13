import { createServer, type Server } from "node:http";
import { createEventSerde } from "@herald/events";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import pg from "pg";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createRelay } from "./relay.js";
import { relayConfigFromEnvironment } from "./relay-config.js";
import { flushSpans } from "./tracing.js";

// The relay as its own process (`relay` entry point): configured by the environment (see
// relayConfigFromEnvironment), one JSON line per notable happening on stdout, clean stop on SIGTERM.

function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
}

async function main(): Promise<void> {
  const config = relayConfigFromEnvironment(process.env);
  // Bounded waits: a sick database fails a cycle (retried with backoff) instead of hanging it.
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: 3,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 30_000,
  });
  // An idle pooled connection dropped by a database restart must not end the process.
  pool.on("error", (error) => log("warn", "idle database connection lost", { error: error.message }));
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.kafkaBrokers],
    ...(config.kafkaSasl ? { sasl: { ...config.kafkaSasl } as SASLOptions } : {}),
    ...(config.kafkaSsl ? { ssl: true } : {}),
    logLevel: logLevel.NOTHING,
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const relay = createRelay({
    pool,
    kafka,
    serde: createEventSerde({
      registryUrl: config.schemaRegistryUrl,
      schemas: config.production ? "lookup" : "register",
    }),
    metrics: registry,
    topicName: (topic) => `${config.topicPrefix}${topic}`,
    ...(config.batchSize ? { batchSize: config.batchSize } : {}),
    hooks: {
      error: (error) =>
        log("warn", "relay cycle failed; retrying", { code: error.code, error: error.message }),
      bucketsChanged: (buckets) => log("info", "relay buckets changed", { buckets }),
      maintained: (result) => log("info", "outbox partitions maintained", result),
      parked: (park) =>
        log("error", "outbox row cannot be encoded; its aggregate is parked (npm run parked -- list)", {
          ...park,
        }),
      unparked: (release) => log("info", "parked aggregate released", { ...release }),
      rewound: (rewind) =>
        log("warn", "outbox id sequence went back; republishing what the outbox holds", { ...rewind }),
    },
  });
  let server: Server | undefined;
  if (config.metricsPort) {
    server = createServer((request, response) => {
      if (request.url !== "/metrics") {
        response.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
        () => response.writeHead(500).end(),
      );
    }).listen(config.metricsPort);
  }
  await relay.start();
  log("info", "relay started", { clientId: config.clientId, brokers: config.kafkaBrokers });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("info", "relay stopping", { signal });
    await relay.stop();
    server?.close();
    await pool.end();
    await flushSpans().catch(() => {}); // the last cycles' publish spans, when traced
    log("info", "relay stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  log("error", "relay failed to start", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
