import { pino } from "pino";
import { Registry } from "prom-client";
import { authConfigSpec, createAuthenticator } from "./auth.js";
import { loadConfig } from "./config.js";
import { createHttpServer, type HttpServerOptions } from "./http.js";

/**
 * The HTTP server service-kit's own tests build routes on: `title` for its OpenAPI document, a
 * metrics registry of its own, the authenticator of the settings a service has when none are given
 * (the development key, issuer and audience), a silent logger, and `options` on top of all that.
 */
export function createTestHttpServer(title: string, options: Partial<HttpServerOptions> = {}) {
  return createHttpServer({
    logger: pino({ level: "silent" }),
    api: { title, version: "1.0.0" },
    metrics: new Registry(),
    auth: createAuthenticator(loadConfig(authConfigSpec(), {})),
    ...options,
  });
}
