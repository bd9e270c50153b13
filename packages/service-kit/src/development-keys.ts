/**
 * DEVELOPMENT ONLY. The key pair the native stack, compose and the tests sign and verify customer
 * and staff tokens with, committed so that `npm run token` works out of the box. Anyone can mint a
 * token with it, so a service in production mode refuses to start while it is trusted.
 */
export const DEVELOPMENT_KEY_ID = "herald-development-key";

const publicJwk = {
  kty: "OKP",
  crv: "Ed25519",
  x: "YObUb73a0iGyvq-jkcRsENs1e6hHPPq9w8bdmEo1f5A",
  kid: DEVELOPMENT_KEY_ID,
  alg: "EdDSA",
  use: "sig",
} as const;

export const DEVELOPMENT_JWKS = Object.freeze({ keys: [publicJwk] });

/** The private half (`d`), for development token issuing only. */
export const DEVELOPMENT_SIGNING_JWK = Object.freeze({
  ...publicJwk,
  d: "rrTOW6bpsaCuaB8j6AE38OJOD8BKzVK-SzfGyFIAeV4",
});
