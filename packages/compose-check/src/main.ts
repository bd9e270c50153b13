import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  defaultStackOptions,
  KAFKA_ADMIN_LOGIN,
  type KafkaLogin,
  kafkaLogin,
  kafkaPrincipalOf,
  SERVICE_NAMES,
  type ServiceName,
  StackError,
  VERSIONS,
  ZIPKIN_VERSION,
} from "@herald/dev-stack";
import {
  type DockerEngine,
  docker,
  ensureDockerTools,
  ensureStandIns,
  lastLine,
  packageManagerNpm,
  repoRoot,
  standInKind,
  startDockerEngine,
} from "@herald/dev-stack/compose";
import { relayConfigFromEnvironment } from "@herald/outbox";
import { issueDevelopmentToken, telemetryConfigSpec } from "@herald/service-kit";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import {
  type ComposeModel,
  type LintFacts,
  lintCompose,
  type ServiceFacts,
  type SpecVariable,
} from "./compose-lint.js";
import { committedKafkaAccess, KAFKA_ACCESS_FILE, renderKafkaAccess } from "./kafka-access.js";

// `npm run compose:check`: proves docker-compose.yml by running it on a Docker engine of its own
// (installed and started here when missing), with local stand-ins for third-party images where no
// registry is reachable. Steps: tools, engine, stand-ins, `compose config`, the checks Compose
// cannot make, `up --build --wait`, the broker's authentication and ACLs, an order placed and read
// with a customer's token through the published port, a staff-only route, its mail, `down -v`.

const COMPOSE_FILE = join(repoRoot, "docker-compose.yml");
/** The one Dockerfile every service image is built from. */
const SERVICE_DOCKERFILE = join(repoRoot, "services", "Dockerfile");
const INFRA = ["postgres", "kafka", "kafka-init", "schema-registry", "maildev", "zipkin"] as const;
const RELAY_VARIABLES = [
  "DATABASE_URL",
  "KAFKA_BROKERS",
  "KAFKA_SASL_MECHANISM",
  "KAFKA_USERNAME",
  "KAFKA_PASSWORD",
  "KAFKA_SSL",
  "HERALD_ENV",
  "SCHEMA_REGISTRY_URL",
  "RELAY_CLIENT_ID",
  "RELAY_TOPIC_PREFIX",
  "RELAY_BATCH_SIZE",
  "RELAY_METRICS_PORT",
  // The relay process is traced like the services (service-kit's relay-main).
  ...Object.keys(telemetryConfigSpec()),
];
const PORT_VARIABLES = {
  order: "HERALD_ORDER_PORT",
  inventory: "HERALD_INVENTORY_PORT",
  payment: "HERALD_PAYMENT_PORT",
  email: "HERALD_EMAIL_PORT",
  analytics: "HERALD_ANALYTICS_PORT",
  kafka: "HERALD_KAFKA_PORT",
  maildev: "HERALD_MAILDEV_PORT",
  zipkin: "HERALD_ZIPKIN_PORT",
  postgres: "HERALD_POSTGRES_PORT",
} as const;

interface Run {
  engine?: DockerEngine;
  readonly logDir: string;
  readonly startedAt: number;
}

async function main(flags: readonly string[]): Promise<void> {
  const options = defaultStackOptions();
  const logDir = join(options.stateDir, "compose-check");
  mkdirSync(logDir, { recursive: true });
  const run: Run = { logDir, startedAt: Date.now() };
  const keep = flags.includes("--keep");
  let failed = true;
  try {
    const installed = await step("tools", () => ensureDockerTools(options.cacheDir));
    if (installed.length > 0) note(`installed ${installed.join(", ")}`);
    const engine = await step("engine", () =>
      startDockerEngine(join(options.cacheDir, "docker"), "/tmp/herald-compose-check"),
    );
    run.engine = engine;
    const ports = await freePorts();
    const composeEnv = Object.fromEntries(
      Object.entries(PORT_VARIABLES).map(([key, variable]) => [
        variable,
        String(ports[key as keyof typeof ports]),
      ]),
    );
    const compose = (args: readonly string[], logFile?: string) =>
      docker(engine, ["compose", "-f", COMPOSE_FILE, ...args], {
        cwd: repoRoot,
        env: composeEnv,
        ...(logFile ? { logFile } : {}),
      });

    const model = await step("compose config", async () => {
      const quiet = await compose(["config", "-q"]);
      if (quiet.code !== 0)
        throw new StackError(`compose config: ${lastLine(quiet.output)}`, "fix docker-compose.yml");
      const json = await compose(["config", "--format", "json"]);
      return JSON.parse(json.output.slice(json.output.indexOf("{"))) as ComposeModel & {
        services: Record<string, { image?: string; build?: unknown }>;
      };
    });

    const present = await step("static checks", async () => {
      const facts = await lintFacts();
      const problems = lintCompose(model, facts);
      if (committedKafkaAccess() !== renderKafkaAccess())
        problems.push(`${KAFKA_ACCESS_FILE} is out of step with the contract: run npm run compose:files`);
      const pending = facts.services.filter((service) => !service.configSpec).map((service) => service.name);
      if (pending.length > 0)
        note(`no configSpec exported yet, environment unchecked: ${pending.join(", ")}`);
      if (problems.length > 0) {
        writeFileSync(join(logDir, "static-checks.txt"), `${problems.join("\n")}\n`);
        for (const problem of problems) console.error(`  ✗ ${problem}`);
        throw new StackError(
          `${problems.length} problem(s) in docker-compose.yml: ${problems[0]}`,
          "make the compose file match the services (list above)",
        );
      }
      return runnableServices();
    });
    const absent = SERVICE_NAMES.filter((name) => !present.includes(name));
    if (absent.length > 0)
      note(`not written yet (no src/main.ts), left out of the run: ${absent.join(", ")}`);

    await step("stand-in images", async () => {
      const nodeImage = nodeBaseImage();
      const thirdParty = Object.values(model.services)
        .filter((service) => !service.build && service.image && standInKind(service.image))
        .map((service) => service.image as string);
      const built = await ensureStandIns([nodeImage, ...thirdParty], {
        engine,
        cacheDir: options.cacheDir,
        logFile: join(logDir, "standins.log"),
        nodeImage,
        npmVersion: packageManagerNpm(),
        progress: note,
      });
      if (built.length === 0) note("all present");
    });

    const targets = [...INFRA, ...present.flatMap((name) => [name, `${name}-relay`])];
    const upLog = join(logDir, "up.log");
    writeFileSync(upLog, "");
    await step(`build ${present.length} service image(s)`, async () => {
      // Built on their own first, so the timings say what building costs and what starting does.
      const built = await compose(["build", ...present], upLog);
      if (built.code !== 0) {
        throw new StackError(`compose build failed: ${lastLine(built.output)}`, `build output in ${upLog}`);
      }
    });
    await step("up --build --wait", async () => {
      await compose(["down", "-v", "--remove-orphans"]);
      const up = await compose(["up", "--build", "--wait", "--wait-timeout", "600", ...targets], upLog);
      if (up.code !== 0) {
        const logs = await compose(["logs", "--no-color", "--tail", "200"]);
        writeFileSync(join(logDir, "containers.log"), logs.output);
        const ps = await compose(["ps", "-a", "--format", "{{.Service}} {{.State}} {{.Health}}"]);
        throw new StackError(
          `compose up failed: ${lastLine(up.output)} [${ps.output.trim().split("\n").join("; ")}]`,
          `build output in ${upLog}, container logs in ${join(logDir, "containers.log")}`,
        );
      }
    });

    const brokers = [`127.0.0.1:${ports.kafka}`];
    await step("broker refuses unauthenticated and unauthorized clients", () => checkBrokerAccess(brokers));
    const customer = await customerToken();
    const order = await step("place an order with a customer's token", () =>
      placeOrder(ports.order, customer),
    );
    const saga = present.includes("inventory") && present.includes("payment");
    if (saga) {
      await step("order CONFIRMED", () =>
        waitForStatus(ports.order, order.orderId, "CONFIRMED", customer.token),
      );
    } else {
      await step("order accepted and published", async () => {
        await waitForStatus(ports.order, order.orderId, "PLACED", customer.token);
      });
      note("CONFIRMED not checked: it needs the inventory and payment services, not written yet");
    }
    await step("its events on the topics (read as the admin)", () => waitForTopicMessages(brokers, "orders"));
    await step("the order refused without a token", () => checkUnauthenticated(ports.order, order.orderId));
    if (present.includes("inventory")) {
      await step("a staff-only route: operator yes, customer no", () =>
        checkStaffRoute(ports.inventory, order.orderId, customer.token),
      );
    }
    if (present.includes("email") && saga) {
      await step("its mail in MailDev", () => waitForMail(ports.maildev, order.customerEmail));
    } else {
      // The customer's mail is the confirmation: it needs the email service and a confirmed order.
      note("mail not checked: it needs the email service and a confirmed order");
    }
    failed = false;
  } finally {
    if (run.engine && !keep) {
      const engine = run.engine;
      await step("down -v", async () => {
        const down = await docker(engine, ["compose", "-f", COMPOSE_FILE, "down", "-v", "--remove-orphans"], {
          cwd: repoRoot,
        });
        if (down.code !== 0 && !failed)
          throw new StackError(`compose down: ${lastLine(down.output)}`, "see docker compose ps");
        // The engine's data is kept for the next run; what superseded builds left behind is not.
        await docker(engine, ["image", "prune", "--force"]);
        await docker(engine, ["builder", "prune", "--force", "--keep-storage=3gb"]);
      }).catch(() => undefined);
      await step("engine stop", () => engine.stop()).catch(() => undefined);
    } else if (run.engine) {
      note(`--keep: stack and engine left running (DOCKER_HOST=${run.engine.env.DOCKER_HOST})`);
    }
    const total = ((Date.now() - run.startedAt) / 1000).toFixed(1);
    console.log(`compose:check ${failed ? "FAILED" : "passed"} in ${total}s`);
  }
}

async function step<T>(name: string, action: () => T | Promise<T>): Promise<T> {
  const startedAt = Date.now();
  process.stdout.write(`compose:check ▸ ${name} …\n`);
  try {
    const result = await action();
    console.log(`compose:check ✓ ${name} (${((Date.now() - startedAt) / 1000).toFixed(1)}s)`);
    return result;
  } catch (error) {
    console.log(`compose:check ✗ ${name} (${((Date.now() - startedAt) / 1000).toFixed(1)}s)`);
    throw error;
  }
}

function note(message: string): void {
  console.log(`compose:check   ${message}`);
}

/** Services whose composition root exists; the others are still being written. */
function runnableServices(): ServiceName[] {
  return SERVICE_NAMES.filter((name) => existsSync(join(repoRoot, "services", name, "src", "main.ts")));
}

async function lintFacts(): Promise<LintFacts> {
  const services: ServiceFacts[] = [];
  for (const name of SERVICE_NAMES) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "services", name, "package.json"), "utf8")) as {
      name: string;
      version: string;
      herald?: { port?: number; relayMetricsPort?: number };
    };
    let configSpec: Record<string, SpecVariable> | undefined;
    try {
      const module = (await import(manifest.name)) as { configSpec?: Record<string, SpecVariable> };
      // Every service process also reads the telemetry settings (service-kit's startService).
      configSpec = module.configSpec && { ...module.configSpec, ...telemetryConfigSpec() };
    } catch (error) {
      throw new StackError(
        `cannot import ${manifest.name} for its configSpec: ${(error as Error).message.split("\n")[0]}`,
        `fix services/${name}/src/index.ts (compose:check reads configSpec from the package's exports)`,
      );
    }
    services.push({
      name,
      version: manifest.version,
      ...(manifest.herald?.port !== undefined ? { port: manifest.herald.port } : {}),
      ...(manifest.herald?.relayMetricsPort !== undefined
        ? { relayMetricsPort: manifest.herald.relayMetricsPort }
        : {}),
      ...(configSpec ? { configSpec } : {}),
    });
  }
  const devStack = JSON.parse(
    readFileSync(join(repoRoot, "packages", "dev-stack", "package.json"), "utf8"),
  ) as {
    dependencies: Record<string, string>;
  };
  return {
    services,
    imageVersions: {
      "apache/kafka": VERSIONS.kafka,
      "apicurio/apicurio-registry": VERSIONS.apicurio,
      "maildev/maildev": devStack.dependencies.maildev ?? "",
      "openzipkin/zipkin": ZIPKIN_VERSION,
    },
    kafkaAccessFile: KAFKA_ACCESS_FILE,
    kafkaPrincipalOf,
    relayVariables: RELAY_VARIABLES,
    checkRelayEnvironment: (env) => void relayConfigFromEnvironment(env),
    exists: existsSync,
  };
}

/** The Node image the service Dockerfile builds on (its NODE_IMAGE default). */
function nodeBaseImage(): string {
  const match = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(SERVICE_DOCKERFILE, "utf8"));
  if (!match?.[1])
    throw new StackError("services/Dockerfile has no ARG NODE_IMAGE=…", "declare the Node base image");
  return match[1];
}

async function freePorts(): Promise<Record<keyof typeof PORT_VARIABLES, number>> {
  const entries = await Promise.all(
    Object.keys(PORT_VARIABLES).map(async (key) => [key, await freePort()] as const),
  );
  return Object.fromEntries(entries) as Record<keyof typeof PORT_VARIABLES, number>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Customer {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

/** A customer of this run, with a token signed by the development key the services trust by default. */
async function customerToken(): Promise<Customer> {
  const id = `compose-check-${Date.now()}`;
  const email = `${id}@example.com`;
  return { id, email, token: await issueDevelopmentToken({ subject: id, email, expiresIn: "30m" }) };
}

interface PlacedOrder {
  readonly orderId: string;
  readonly customerEmail: string;
}

/** POST /orders as the customer; their id and email come from the token, not the body. */
async function placeOrder(port: number, customer: Customer): Promise<PlacedOrder> {
  const response = await fetch(`http://127.0.0.1:${port}/orders`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${customer.token}`,
      "content-type": "application/json",
      "idempotency-key": `compose-check-${Date.now()}`,
    },
    body: JSON.stringify({
      items: [{ sku: "HRL-MUG-BLUE", quantity: 1 }],
      paymentMethodToken: "tok_visa",
      shippingAddress: {
        recipientName: "Ada Lovelace",
        line1: "12 Analytical Row",
        city: "London",
        postalCode: "N1 9GU",
        country: "GB",
      },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { orderId?: string; message?: string };
  if (response.status !== 202 || !body.orderId) {
    throw new StackError(
      `POST /orders answered ${response.status}: ${body.message ?? JSON.stringify(body)}`,
      "see the order container's log (docker compose logs order)",
    );
  }
  note(`order ${body.orderId} accepted (202) for ${customer.id}`);
  return { orderId: body.orderId, customerEmail: customer.email };
}

async function waitForStatus(port: number, orderId: string, status: string, token: string): Promise<void> {
  let last = "";
  await poll(
    `order ${orderId} to be ${status}`,
    120_000,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/orders/${orderId}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { status?: string };
      last = body.status ?? `HTTP ${response.status}`;
      return last === status;
    },
    () => `last seen ${last || "nothing"}`,
  );
}

/** The same order without a token: 401. */
async function checkUnauthenticated(port: number, orderId: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/orders/${orderId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  if (response.status !== 401)
    throw new StackError(
      `GET /orders/:id without a token answered ${response.status}, not 401`,
      "see auth.ts",
    );
}

/** GET /reservations (support and operators only): an operator reads the order's; its customer gets 403. */
async function checkStaffRoute(port: number, orderId: string, customerToken: string): Promise<void> {
  const operator = await issueDevelopmentToken({ subject: "compose-check-operator", roles: ["operator"] });
  const read = (token: string) =>
    fetch(`http://127.0.0.1:${port}/reservations?orderId=${encodeURIComponent(orderId)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
  const staff = await read(operator);
  const body = (await staff.json()) as { items?: unknown[]; message?: string };
  if (staff.status !== 200 || !Array.isArray(body.items))
    throw new StackError(
      `GET /reservations as an operator answered ${staff.status}: ${body.message ?? JSON.stringify(body)}`,
      "see the inventory container's log (docker compose logs inventory)",
    );
  const customer = await read(customerToken);
  await customer.arrayBuffer();
  if (customer.status !== 403)
    throw new StackError(
      `GET /reservations as a customer answered ${customer.status}, not 403`,
      "see auth.ts",
    );
  note(`operator read ${body.items.length} reservation(s) of the order; the customer got 403`);
}

function kafkaClient(brokers: readonly string[], login: KafkaLogin | undefined): Kafka {
  const config: KafkaConfig = {
    clientId: "compose-check",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
    ...(login
      ? { sasl: { mechanism: "scram-sha-512", username: login.username, password: login.password } }
      : {}),
  };
  return new Kafka(config);
}

/**
 * The compose broker's access control, from the host: a client without a login is refused, and a
 * service principal reads what its ACLs allow (its own topic) and nothing else (another service's).
 * The passwords are compose's development defaults.
 */
async function checkBrokerAccess(brokers: readonly string[]): Promise<void> {
  const anonymous = kafkaClient(brokers, undefined).admin();
  const refused = await anonymous
    .connect()
    .then(() => anonymous.listTopics())
    .then(
      (topics) => `listed ${topics.length} topics`,
      () => undefined,
    )
    .finally(() => anonymous.disconnect());
  if (refused !== undefined)
    throw new StackError(`a client without a login ${refused}`, "the broker must offer SASL listeners only");
  const order = kafkaClient(brokers, kafkaLogin("order")).admin();
  await order.connect();
  try {
    await order.fetchTopicOffsets("orders");
    const denied = await order.fetchTopicOffsets("notifications").then(
      () => false,
      (error: Error) => /authoriz/i.test(`${error.name} ${error.message}`),
    );
    if (!denied)
      throw new StackError(
        "herald-order could describe notifications, a topic no ACL gives it",
        "kafka-init must apply kafka-access.txt and the broker allow nothing else",
      );
  } finally {
    await order.disconnect();
  }
  note("no login: refused; herald-order: its topic yes, another service's no");
}

/** The relay container published: the topic holds at least one message (read as the admin). */
async function waitForTopicMessages(brokers: readonly string[], topic: string): Promise<void> {
  const admin = kafkaClient(brokers, KAFKA_ADMIN_LOGIN).admin();
  await admin.connect();
  try {
    let count = 0;
    await poll(
      `a message on ${topic}`,
      60_000,
      async () => {
        const offsets = await admin.fetchTopicOffsets(topic);
        count = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
        return count > 0;
      },
      () => `${topic} is empty: is the order relay publishing?`,
    );
    note(`${topic} holds ${count} message(s): the relay published through Kafka and the registry`);
  } finally {
    await admin.disconnect();
  }
}

async function waitForMail(port: number, recipient: string): Promise<void> {
  await poll(
    `a mail to ${recipient}`,
    60_000,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/email`, { signal: AbortSignal.timeout(5_000) });
      const mails = (await response.json()) as { to?: { address?: string }[]; subject?: string }[];
      const mail = mails.find((candidate) => candidate.to?.some((to) => to.address === recipient));
      if (mail) note(`mail "${mail.subject ?? ""}" to ${recipient}`);
      return mail !== undefined;
    },
    () => "no mail arrived",
  );
}

async function poll(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new StackError(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}: ${detail()}${lastError ? ` (${lastError})` : ""}`,
    "run with --keep and inspect: docker compose ps / logs",
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StackError) console.error(`compose:check: ${error.message}\n  → ${error.hint}`);
    else console.error("compose:check:", error);
    process.exit(1);
  },
);
