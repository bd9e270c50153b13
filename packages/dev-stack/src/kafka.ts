import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type Component, daemonComponent } from "./component.js";
import { type StackOptions, VERSIONS } from "./config.js";
import { StackError } from "./errors.js";
import { ensureMavenClasspath, findJava } from "./tools.js";

export interface KafkaPorts {
  readonly broker: number;
  readonly controller: number;
}

/**
 * Single-node KRaft Apache Kafka from Maven Central jars. Other `ports` (with another state dir)
 * give a second, private broker, e.g. for a test that restarts its broker.
 */
export function kafkaComponent(
  options: StackOptions,
  ports: KafkaPorts = { broker: options.ports.kafka, controller: options.ports.kafkaController },
): Component {
  const home = join(options.stateDir, "kafka");
  const dataDir = join(home, "data");
  const brokers = [`${options.host}:${ports.broker}`];
  return daemonComponent(options, {
    name: "kafka",
    port: ports.broker,
    readyTimeoutMs: 90_000,
    describe: () => `bootstrap ${brokers.join(",")}`,
    async prepare() {
      const java = findJava(options.javaHome);
      const libs = ensureMavenClasspath(
        join(options.cacheDir, `kafka-${VERSIONS.kafka}`),
        [
          { groupId: "org.apache.kafka", artifactId: `kafka_${VERSIONS.scala}`, version: VERSIONS.kafka },
          { groupId: "org.slf4j", artifactId: "slf4j-reload4j", version: VERSIONS.slf4j },
        ],
        `Apache Kafka ${VERSIONS.kafka}`,
      );
      mkdirSync(home, { recursive: true });
      const properties = join(home, "server.properties");
      writeFileSync(properties, serverProperties(options.host, dataDir, ports));
      const log4j = join(home, "log4j.properties");
      writeFileSync(log4j, LOG4J);
      const classpath = join(libs, "*");
      if (!existsSync(join(dataDir, "meta.properties"))) {
        const format = spawnSync(
          java,
          [
            `-Dlog4j.configuration=file:${log4j}`,
            "-cp",
            classpath,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            clusterId(),
            "-c",
            properties,
          ],
          { encoding: "utf8" },
        );
        if (format.status !== 0) {
          throw new StackError(
            `formatting Kafka storage failed: ${format.stderr.trim()}`,
            `remove ${dataDir} and try again`,
          );
        }
      }
      return {
        command: java,
        args: [
          "-Xms256m",
          "-Xmx1g",
          `-Dlog4j.configuration=file:${log4j}`,
          "-cp",
          classpath,
          "kafka.Kafka",
          properties,
        ],
      };
    },
    async isReady() {
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.controller !== null && cluster.brokers.length > 0;
      } finally {
        await admin.disconnect();
      }
    },
  });
}

function clusterId(): string {
  // 16 random bytes, URL-safe base64 without padding: the form Kafka's StorageTool expects.
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
}

function serverProperties(host: string, dataDir: string, ports: KafkaPorts): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${host}:${ports.controller}
listeners=PLAINTEXT://${host}:${ports.broker},CONTROLLER://${host}:${ports.controller}
advertised.listeners=PLAINTEXT://${host}:${ports.broker}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;
