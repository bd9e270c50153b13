import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { env } from "./config.js";
import { DEVELOPMENT_JWKS, DEVELOPMENT_KEY_ID } from "./development-keys.js";
import { ServiceKitError, type ServiceKitErrorCode } from "./errors.js";

/**
 * Roles are claims of the token (`roles: ["support"]`). A customer has none: the token's subject
 * is the customer id. `support` acts for any customer (reads and cancels their orders, reads the
 * payments, mails and reservations behind them); `operator` can do that and run the shop
 * (analytics, stock, rebuilds).
 */
export const ROLES = ["support", "operator"] as const;
export type Role = (typeof ROLES)[number];

/** Who sent a request, from a verified bearer token. */
export interface Principal {
  /** The token's `sub`: a customer's id, or a member of staff's. */
  readonly subject: string;
  readonly roles: readonly Role[];
  /** The token's verified `email` claim, when it has one. */
  readonly email: string | null;
}

/**
 * What a route needs, set as `config: { access }` on the route. A route that says nothing needs a
 * valid token (safe by default); ownership of the data it touches is then the route's to check
 * with {@link actsFor} / {@link assertActsFor}.
 */
export type Access = "public" | "authenticated" | Role;

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set for every route that is not public; null on public routes. */
    principal: Principal | null;
  }
}

type AuthErrorCode = Extract<ServiceKitErrorCode, `AUTH_${string}`>;

function authError(code: AuthErrorCode, message: string, cause?: unknown): ServiceKitError {
  return new ServiceKitError(code, message, { cause });
}

export const AUTH_ERROR_STATUS: Readonly<Record<AuthErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  AUTH_FORBIDDEN: 403,
};

/** The settings of token verification, spread into every service's config. */
export function authConfigSpec() {
  return {
    HERALD_ENV: env.oneOf(["development", "production"], {
      description: "production refuses development keys, tokens and passwords at start",
      default: "development",
    }),
    AUTH_JWKS_URL: env.string({
      description: "where the identity provider publishes its signing keys (JWKS); wins over AUTH_JWKS",
      default: "",
      pattern: /^(?:|https?:\/\/\S+)$/,
    }),
    AUTH_JWKS: env.string({
      description: "the signing keys as a JWKS JSON document (public keys only)",
      default: JSON.stringify(DEVELOPMENT_JWKS),
    }),
    AUTH_ISSUER: env.string({ description: "the `iss` every token must carry", default: "herald-dev" }),
    AUTH_AUDIENCE: env.string({ description: "the `aud` every token must carry", default: "herald" }),
  };
}

export interface AuthSettings {
  readonly HERALD_ENV: "development" | "production";
  readonly AUTH_JWKS_URL: string;
  readonly AUTH_JWKS: string;
  readonly AUTH_ISSUER: string;
  readonly AUTH_AUDIENCE: string;
}

/** Verifies bearer tokens: signature against the JWKS, issuer, audience, expiry. */
export interface Authenticator {
  /** The principal of an `Authorization` header; throws AUTH_REQUIRED or AUTH_INVALID. */
  verify(header: string | undefined): Promise<Principal>;
}

const BEARER = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+) *$/i;
/** Only asymmetric algorithms: a service can verify tokens but never mint one. */
const ALGORITHMS = ["EdDSA", "ES256", "ES384", "RS256", "PS256"];

export function createAuthenticator(settings: AuthSettings): Authenticator {
  const keys: JWTVerifyGetKey = settings.AUTH_JWKS_URL
    ? createRemoteJWKSet(new URL(settings.AUTH_JWKS_URL))
    : createLocalJWKSet(parseJwks(settings.AUTH_JWKS));
  return {
    async verify(header) {
      if (header === undefined || header === "")
        throw authError("AUTH_REQUIRED", "this route needs an Authorization: Bearer <token> header");
      const token = BEARER.exec(header)?.[1];
      if (!token) throw authError("AUTH_INVALID", "the Authorization header is not a bearer token");
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: settings.AUTH_ISSUER,
          audience: settings.AUTH_AUDIENCE,
          algorithms: ALGORITHMS,
          requiredClaims: ["sub", "exp"],
        });
        const roles = Array.isArray(payload.roles)
          ? ROLES.filter((role) => (payload.roles as unknown[]).includes(role))
          : [];
        const email = typeof payload.email === "string" ? payload.email : null;
        return Object.freeze({ subject: payload.sub!, roles: Object.freeze(roles), email });
      } catch (error) {
        throw authError("AUTH_INVALID", invalidTokenMessage(error), error);
      }
    },
  };
}

function invalidTokenMessage(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "the token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `the token's ${error.claim} is not accepted`;
  return "the token is not valid";
}

function parseJwks(text: string): JSONWebKeySet {
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new ServiceKitError("SERVICE_CONFIG_INVALID", "invalid configuration: AUTH_JWKS is not JSON");
  }
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ServiceKitError(
      "SERVICE_CONFIG_INVALID",
      'invalid configuration: AUTH_JWKS needs {"keys": [...]}',
    );
  if (keys.some((key) => typeof key === "object" && key !== null && "d" in key))
    throw new ServiceKitError(
      "SERVICE_CONFIG_INVALID",
      "invalid configuration: AUTH_JWKS holds a private key; give services the public keys only",
    );
  return jwks as JSONWebKeySet;
}

/** Why the auth settings cannot run in production (empty when they can). */
export function authProductionProblems(settings: AuthSettings): string[] {
  if (settings.AUTH_JWKS_URL) return [];
  const usesDevelopmentKey = parseJwks(settings.AUTH_JWKS).keys.some((key) => key.kid === DEVELOPMENT_KEY_ID);
  return usesDevelopmentKey
    ? [
        "AUTH_JWKS holds the development signing key (set AUTH_JWKS_URL or AUTH_JWKS to your identity provider's keys)",
      ]
    : [];
}

/** True when `principal` may see or change the data of customer `customerId`. */
export function actsFor(principal: Principal | null, customerId: string): boolean {
  if (!principal) return false;
  return principal.subject === customerId || principal.roles.length > 0;
}

/** Throws AUTH_FORBIDDEN unless `principal` {@link actsFor} `customerId`. */
export function assertActsFor(principal: Principal | null, customerId: string, what = "this order"): void {
  if (!actsFor(principal, customerId))
    throw authError("AUTH_FORBIDDEN", `${what} belongs to another customer`);
}

/** True when `principal` has `role`; an operator has every role. */
export function hasRole(principal: Principal | null, role: Role): boolean {
  return principal !== null && (principal.roles.includes(role) || principal.roles.includes("operator"));
}
