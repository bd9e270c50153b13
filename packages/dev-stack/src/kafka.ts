import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type Component, daemonComponent } from "./component.js";
import { type StackOptions, VERSIONS } from "./config.js";
import { StackError } from "./errors.js";
import { provisionKafkaAccess } from "./kafka-access.js";
import { kafkaConfig } from "./kafka-client.js";
import { KAFKA_ADMIN_LOGIN, KAFKA_BROKER_LOGIN, type KafkaLogin, kafkaLogin } from "./services.js";
import { ensureMavenClasspath, findJava } from "./tools.js";
import { SERVICE_NAMES } from "./workspace.js";

export interface KafkaPorts {
  readonly broker: number;
  readonly controller: number;
}

/** The SCRAM logins the broker knows: the admin and one principal per service. */
const SCRAM_LOGINS: readonly KafkaLogin[] = [KAFKA_ADMIN_LOGIN, ...SERVICE_NAMES.map(kafkaLogin)];

/**
 * Single-node KRaft Apache Kafka from Maven Central jars, authenticated and authorized: one SASL
 * listener (SCRAM-SHA-512 for clients; PLAIN for the broker itself and the admin's bootstrap),
 * StandardAuthorizer with no access where no ACL says so, the admin and the broker as super users.
 * On start it provisions the SCRAM credentials (at format time, or on a data dir formatted without
 * them), the topics and the services' ACLs. Other `ports` (with another state dir) give a second,
 * private broker, e.g. for a test that restarts its broker.
 */
export function kafkaComponent(
  options: StackOptions,
  ports: KafkaPorts = { broker: options.ports.kafka, controller: options.ports.kafkaController },
): Component {
  const home = join(options.stateDir, "kafka");
  const dataDir = join(home, "data");
  const brokers = [`${options.host}:${ports.broker}`];
  // The stack's own connections log in with PLAIN (static, so they work before any SCRAM credential exists).
  const bootstrapAdmin = kafkaConfig(
    { kafkaBrokers: brokers },
    { login: { ...KAFKA_ADMIN_LOGIN, mechanism: "plain" }, logLevel: logLevel.NOTHING },
  );
  const scramMarker = join(home, "scram-credentials");
  const scramDigest = createHash("sha256")
    .update(SCRAM_LOGINS.map((login) => `${login.username}:${login.password}`).join("\n"))
    .digest("hex");
  let java = "";
  let classpath = "";
  let log4j = "";
  /** A Kafka main class's java arguments: the log configuration, the classpath, the class and its arguments. */
  const javaArgs = (mainClass: string, ...args: string[]) => [
    `-Dlog4j.configuration=file:${log4j}`,
    "-cp",
    classpath,
    mainClass,
    ...args,
  ];
  return daemonComponent(options, {
    name: "kafka",
    port: ports.broker,
    readyTimeoutMs: 90_000,
    describe: () => `bootstrap ${brokers.join(",")}`,
    async prepare() {
      java = findJava(options.javaHome);
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
      log4j = join(home, "log4j.properties");
      writeFileSync(log4j, LOG4J);
      classpath = join(libs, "*");
      if (!existsSync(join(dataDir, "meta.properties"))) {
        const format = spawnSync(
          java,
          javaArgs(
            "kafka.tools.StorageTool",
            "format",
            `--cluster-id=${clusterId()}`,
            "-c",
            properties,
            ...SCRAM_LOGINS.flatMap((login) => [
              "--add-scram",
              `SCRAM-SHA-512=[name=${login.username},password=${login.password}]`,
            ]),
          ),
          { encoding: "utf8" },
        );
        if (format.status !== 0) {
          throw new StackError(
            `formatting Kafka storage failed: ${format.stderr.trim()}`,
            `remove ${dataDir} and try again`,
          );
        }
        writeFileSync(scramMarker, scramDigest);
      }
      return {
        command: java,
        args: ["-Xms256m", "-Xmx1g", ...javaArgs("kafka.Kafka", properties)],
      };
    },
    async afterStart() {
      // A data dir formatted before the broker authenticated (or with other passwords) gets its
      // credentials through the running broker.
      if (!existsSync(scramMarker) || readFileSync(scramMarker, "utf8") !== scramDigest) {
        const commandConfig = join(home, "admin-client.properties");
        writeFileSync(commandConfig, clientProperties(KAFKA_ADMIN_LOGIN));
        for (const login of SCRAM_LOGINS) {
          const result = spawnSync(
            java,
            javaArgs(
              "kafka.admin.ConfigCommand",
              "--bootstrap-server",
              brokers[0]!,
              "--command-config",
              commandConfig,
              "--alter",
              "--entity-type",
              "users",
              "--entity-name",
              login.username,
              "--add-config",
              `SCRAM-SHA-512=[password=${login.password}]`,
            ),
            { encoding: "utf8" },
          );
          if (result.status !== 0)
            throw new StackError(
              `adding the SCRAM credential of ${login.username} failed: ${result.stderr.trim()}`,
              `stop the stack, remove ${dataDir} (a development broker's data) and start again`,
            );
        }
        writeFileSync(scramMarker, scramDigest);
      }
      await provisionKafkaAccess(bootstrapAdmin);
    },
    async isReady() {
      const admin = new Kafka({ ...bootstrapAdmin, retry: { retries: 0 } }).admin();
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

/**
 * A new cluster id: 16 random bytes, URL-safe base64 without padding, the form Kafka's StorageTool
 * expects. Like Kafka's own `Uuid.randomUuid()` it never starts with "-": the tool's argument parser
 * would read such an id as an option and refuse to format (one id in 64 did).
 */
export function clusterId(randomBytes = () => crypto.getRandomValues(new Uint8Array(16))): string {
  for (;;) {
    const id = Buffer.from(randomBytes()).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** A Java client's properties for `login` over SASL_PLAINTEXT (the CLI tools' --command-config). */
function clientProperties(login: KafkaLogin): string {
  return `security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=${plainJaas(login, [])}
`;
}

/** A PLAIN JAAS entry: logs in as `login`, and (on a broker) accepts `users`. */
function plainJaas(login: KafkaLogin, users: readonly KafkaLogin[]): string {
  const accepted = users.map((user) => ` user_${user.username}="${user.password}"`).join("");
  return `org.apache.kafka.common.security.plain.PlainLoginModule required username="${login.username}" password="${login.password}"${accepted};`;
}

/**
 * SASL_PLAINTEXT on loopback; a real deployment adds TLS (SASL_SSL listeners with a keystore).
 * PLAIN knows only the broker and the admin (static, so the broker and the admin's bootstrap work
 * before any SCRAM credential exists); services log in with SCRAM-SHA-512.
 */
function serverProperties(host: string, dataDir: string, ports: KafkaPorts): string {
  const plainUsers = [KAFKA_BROKER_LOGIN, KAFKA_ADMIN_LOGIN];
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${host}:${ports.controller}
listeners=CLIENTS://${host}:${ports.broker},CONTROLLER://${host}:${ports.controller}
advertised.listeners=CLIENTS://${host}:${ports.broker}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CLIENTS:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=CLIENTS
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.clients.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.clients.plain.sasl.jaas.config=${plainJaas(KAFKA_BROKER_LOGIN, plainUsers)}
listener.name.clients.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=${plainJaas(KAFKA_BROKER_LOGIN, [KAFKA_BROKER_LOGIN])}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:${KAFKA_BROKER_LOGIN.username};User:${KAFKA_ADMIN_LOGIN.username}
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
