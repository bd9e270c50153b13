import { type ConfigOf, loadConfig, serviceConfigSpec } from "@herald/service-kit";

/** Every setting of the Order service; `.env.example` documents each with its development default. */
export const configSpec = { ...serviceConfigSpec({ port: 3001 }) };

export type OrderConfig = ConfigOf<typeof configSpec>;

export function loadOrderConfig(source: NodeJS.ProcessEnv = process.env): OrderConfig {
  return loadConfig(configSpec, source);
}
