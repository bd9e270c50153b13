import { generateKeyPairSync } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertActsFor, authConfigSpec, authProductionProblems, createAuthenticator } from "./auth.js";
import { loadConfig } from "./config.js";
import { DEVELOPMENT_KEY_ID } from "./development-keys.js";
import { loadServiceConfig, serviceConfigSpec } from "./service.js";
import { createTestHttpServer } from "./testing-http.js";
import { issueDevelopmentToken } from "./tokens.js";

/** The settings a service has when none are given: the development key, issuer and audience. */
const settings = loadConfig(authConfigSpec(), {});

let app: FastifyInstance;
beforeAll(async () => {
  app = await createTestHttpServer("Guarded");
  app.get("/open", { config: { access: "public" } }, async (request) => ({ principal: request.principal }));
  app.get("/mine/:customerId", async (request) => {
    assertActsFor(request.principal, (request.params as { customerId: string }).customerId);
    return { principal: request.principal };
  });
  app.post("/mine", async () => ({ ok: true }));
  app.get("/shop", { config: { access: "operator" } }, async () => ({ ok: true }));
  app.get("/help", { config: { access: "support" } }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(() => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: "GET", url, headers });

/** A token signed by a key the services do not trust. */
async function foreignToken(): Promise<string> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const key = await importJWK(privateKey.export({ format: "jwk" }), "EdDSA");
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid: DEVELOPMENT_KEY_ID })
    .setSubject("cust-1")
    .setIssuer("herald-dev")
    .setAudience("herald")
    .setExpirationTime("1h")
    .sign(key);
}

describe("routes are guarded by default", () => {
  it("answers 401 with a Bearer challenge when a route that says nothing gets no token", async () => {
    const response = await get("/mine/cust-1");
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="herald"');
    expect(response.json()).toMatchObject({ code: "AUTH_REQUIRED" });
  });

  it.each([
    ["a malformed header", async () => "Basic Zm9vOmJhcg=="],
    ["a token signed by another key", async () => `Bearer ${await foreignToken()}`],
    [
      "an expired token",
      async () => `Bearer ${await issueDevelopmentToken({ subject: "cust-1", expiresIn: "-1m" })}`,
    ],
    [
      "another issuer's token",
      async () => `Bearer ${await issueDevelopmentToken({ subject: "cust-1", issuer: "elsewhere" })}`,
    ],
    [
      "a token for another audience",
      async () => `Bearer ${await issueDevelopmentToken({ subject: "cust-1", audience: "other-app" })}`,
    ],
  ])("refuses %s with 401 invalid_token", async (_name, header) => {
    const response = await get("/mine/cust-1", { authorization: await header() });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "AUTH_INVALID" });
    expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("gives the route the verified principal", async () => {
    const token = await issueDevelopmentToken({ subject: "cust-1", email: "ada@example.com" });
    const response = await get("/mine/cust-1", bearer(token));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      principal: { subject: "cust-1", roles: [], email: "ada@example.com" },
    });
  });

  it("lets a customer act only for themselves; support and operators act for anyone", async () => {
    const other = await issueDevelopmentToken({ subject: "cust-2" });
    expect((await get("/mine/cust-1", bearer(other))).statusCode).toBe(403);
    for (const role of ["support", "operator"] as const) {
      const staff = await issueDevelopmentToken({ subject: "staff-1", roles: [role] });
      expect((await get("/mine/cust-1", bearer(staff))).statusCode).toBe(200);
    }
  });

  it("needs the role a route names; an operator has every role", async () => {
    const customer = await issueDevelopmentToken({ subject: "cust-1" });
    const support = await issueDevelopmentToken({ subject: "s-1", roles: ["support"] });
    const operator = await issueDevelopmentToken({ subject: "o-1", roles: ["operator"] });
    expect((await get("/shop", bearer(customer))).json()).toMatchObject({
      statusCode: 403,
      code: "AUTH_FORBIDDEN",
    });
    expect((await get("/shop", bearer(support))).statusCode).toBe(403);
    expect((await get("/shop", bearer(operator))).statusCode).toBe(200);
    expect((await get("/help", bearer(customer))).statusCode).toBe(403);
    expect((await get("/help", bearer(support))).statusCode).toBe(200);
    expect((await get("/help", bearer(operator))).statusCode).toBe(200);
  });

  it("ignores roles it does not know", async () => {
    const token = await issueDevelopmentToken({ subject: "x", roles: ["admin" as never] });
    expect((await get("/shop", bearer(token))).statusCode).toBe(403);
  });

  it("serves public routes, health, metrics and the docs without a token; unknown routes stay 404", async () => {
    expect((await get("/open")).json()).toEqual({ principal: null });
    expect((await get("/health/live")).statusCode).toBe(200);
    expect((await get("/metrics")).statusCode).toBe(200);
    expect((await get("/docs/json")).statusCode).toBe(200);
    expect((await get("/nowhere")).statusCode).toBe(404);
  });

  it("marks guarded routes in the OpenAPI document", async () => {
    const doc = (await get("/docs/json")).json();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("takes JSON only: a text/plain body, as a cross-site form or simple fetch sends it, gets 415", async () => {
    const token = await issueDevelopmentToken({ subject: "cust-1" });
    const response = await app.inject({
      method: "POST",
      url: "/mine",
      headers: { ...bearer(token), "content-type": "text/plain" },
      payload: "{}",
    });
    expect(response.statusCode).toBe(415);
  });
});

describe("production mode", () => {
  const env = {
    DATABASE_URL: "postgres://u:p@127.0.0.1:5432/db",
    KAFKA_BROKERS: "127.0.0.1:9092",
    SCHEMA_REGISTRY_URL: "http://127.0.0.1:8081",
  };
  const definition = { manifest: { name: "order" }, configSpec: serviceConfigSpec({ port: 3001 }) } as never;

  it("refuses the development signing key with a one-line reason", () => {
    expect(() => loadServiceConfig(definition, { ...env, HERALD_ENV: "production" })).toThrow(
      /^production mode refuses development settings: AUTH_JWKS holds the development signing key[^\n]*$/,
    );
    expect(() => loadServiceConfig(definition, env)).not.toThrow();
  });

  it("accepts an identity provider's keys", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "idp-1" }] });
    expect(authProductionProblems({ ...settings, HERALD_ENV: "production", AUTH_JWKS: jwks })).toEqual([]);
    expect(
      authProductionProblems({
        ...settings,
        HERALD_ENV: "production",
        AUTH_JWKS_URL: "https://idp.example/jwks",
      }),
    ).toEqual([]);
  });

  it("refuses a private key in AUTH_JWKS", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const jwks = JSON.stringify({ keys: [privateKey.export({ format: "jwk" })] });
    expect(() => createAuthenticator({ ...settings, AUTH_JWKS: jwks })).toThrow(/private key/);
  });
});
