import { type ConfigOf, env, loadConfig, serviceConfigSpec } from "@herald/service-kit";

/** Every setting of the Order service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec({ port: 3001 }),
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
};

export type OrderConfig = ConfigOf<typeof configSpec>;

export function loadOrderConfig(source: NodeJS.ProcessEnv = process.env): OrderConfig {
  return loadConfig(configSpec, source);
}
