import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";

/**
 * The dashboard's files: plain HTML, CSS and JS from `src/public/` (the build copies them to
 * `dist/public/`, so the same relative path works from source and from the build), and uPlot as
 * npm ships it.
 */
const PUBLIC_DIR = new URL("../public/", import.meta.url);

/** The page's ES modules: dashboard.js, which index.html loads, and the modules it imports. */
const MODULES = [
  "dashboard.js",
  "auth.js",
  "bars.js",
  "charts.js",
  "details.js",
  "dom.js",
  "format.js",
  "stream.js",
  "summary.js",
  "timeline.js",
] as const;

/** The page's stylesheets, in the order index.html links them. */
const STYLESHEETS = ["dashboard.css", "panels.css"] as const;

const ASSETS: readonly { route: string; file: URL | string; type: string }[] = [
  { route: "/", file: new URL("index.html", PUBLIC_DIR), type: "text/html; charset=utf-8" },
  ...STYLESHEETS.map((name) => ({
    route: `/dashboard/${name}`,
    file: new URL(name, PUBLIC_DIR),
    type: "text/css; charset=utf-8",
  })),
  { route: "/dashboard/favicon.svg", file: new URL("favicon.svg", PUBLIC_DIR), type: "image/svg+xml" },
  ...MODULES.map((name) => ({
    route: `/dashboard/${name}`,
    file: new URL(name, PUBLIC_DIR),
    type: "text/javascript; charset=utf-8",
  })),
  {
    route: "/vendor/uplot/uPlot.iife.min.js",
    file: uplotFile("uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  { route: "/vendor/uplot/uPlot.min.css", file: uplotFile("uPlot.min.css"), type: "text/css; charset=utf-8" },
];

function uplotFile(name: string): string {
  return createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
}

/** Files, kept out of the OpenAPI document (`hide` is read by @fastify/swagger). */
const STATIC_FILE = { hide: true, response: { 200: { type: "string" } } } as const;

/** Serves the dashboard at `/`; the files are read once, at registration. */
export async function registerDashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const asset of ASSETS) {
    const body = await readFile(asset.file);
    // Public: the files hold no data; the page asks for an operator's token and sends it itself.
    app.get(asset.route, { config: { access: "public" }, schema: STATIC_FILE }, async (_request, reply) =>
      reply
        .header("content-type", asset.type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header(
          "content-security-policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
        )
        .send(body),
    );
  }
}
