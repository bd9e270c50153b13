import { importJWK, SignJWT } from "jose";
import type { Role } from "./auth.js";
import { DEVELOPMENT_SIGNING_JWK } from "./development-keys.js";

export interface TokenRequest {
  /** The customer id (or a staff member's id). */
  readonly subject: string;
  readonly roles?: readonly Role[];
  readonly email?: string;
  /** Lifetime, e.g. `15m`, `12h` (jose's time span); default 12h. */
  readonly expiresIn?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Signs a token with the development key: what `npm run token`, the dev stack's walkthrough and
 * the tests use. Production tokens come from your identity provider, never from here.
 */
export async function issueDevelopmentToken(request: TokenRequest): Promise<string> {
  const key = await importJWK(DEVELOPMENT_SIGNING_JWK, "EdDSA");
  const claims: Record<string, unknown> = {};
  if (request.roles?.length) claims.roles = [...request.roles];
  if (request.email) claims.email = request.email;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: DEVELOPMENT_SIGNING_JWK.kid, typ: "JWT" })
    .setSubject(request.subject)
    .setIssuer(request.issuer ?? "herald-dev")
    .setAudience(request.audience ?? "herald")
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? "12h")
    .sign(key);
}
