import { type ConfigOf, env, loadConfig, readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

/** Every setting of the Order service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec(manifest),
  ORDER_RATE_LIMIT_PER_CUSTOMER: env.integer({
    description: "orders one customer may place per minute (429 beyond)",
    default: 30,
    min: 1,
  }),
  ORDER_RATE_LIMIT_PER_CLIENT_ADDRESS: env.integer({
    description: "orders one client IP address may place per minute, whoever's token it sends (429 beyond)",
    default: 600,
    min: 1,
  }),
  ORDER_SNAPSHOT_EVERY: env.integer({
    description:
      "an order's state is stored as a snapshot each time its stream crosses a multiple of this many events; reads fold only the events since",
    default: 100,
    min: 1,
  }),
};

export type OrderConfig = ConfigOf<typeof configSpec>;

export function loadOrderConfig(source: NodeJS.ProcessEnv = process.env): OrderConfig {
  return loadConfig(configSpec, source);
}
