import { readFileSync } from "node:fs";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import type { Role } from "./auth.js";
import { issueDevelopmentToken } from "./tokens.js";

export { type DeciderSpecOptions, type Decision, deciderSpec } from "./decider-spec.js";
export { createTestKafka, type TestKafka } from "./testing-kafka.js";
export { freshForEachTest, type Reopenable, reopenableForEachTest } from "./testing-per-test.js";
export {
  type ServiceUnderTest,
  type ServiceUnderTestOptions,
  startServiceUnderTest,
  testLogger,
} from "./testing-service.js";

/** `app.inject` as one caller: every request carries the caller's bearer token unless it sets its own. */
export type Inject = (options: InjectOptions | string) => Promise<LightMyRequestResponse>;

export function injectAs(app: FastifyInstance, token: string): Inject {
  return (options) => {
    const request = typeof options === "string" ? { url: options } : options;
    return app.inject({ ...request, headers: { authorization: `Bearer ${token}`, ...request.headers } });
  };
}

/** A development-signed token for a customer (with a verified email) or a member of staff. */
export const testTokens = {
  customer: (customerId: string, email = `${customerId}@example.com`) =>
    issueDevelopmentToken({ subject: customerId, email, expiresIn: "1h" }),
  staff: (role: Role, subject = `${role}-1`) =>
    issueDevelopmentToken({ subject, roles: [role], expiresIn: "1h" }),
};

/**
 * The keys and values of a service's `.env.example`, as `node --env-file` reads them; `url` is the
 * file's, e.g. `new URL("../.env.example", import.meta.url)` from the service's src/.
 */
export function readEnvExample(url: URL): Record<string, string> {
  const lines = readFileSync(url, "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm);
  return Object.fromEntries([...lines].map(([, key = "", value = ""]) => [key, value.trim()]));
}

/** The settings a service cannot start without, at the development stack's addresses. */
export const requiredSettings = (service: string) => ({
  DATABASE_URL: `postgres://herald_${service}:secret@127.0.0.1:5432/herald_${service}`,
  KAFKA_BROKERS: "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081/apis/ccompat/v7",
});
