import { type ConfigOf, serviceConfigSpec } from "@herald/service-kit";

/** Every setting of the Inventory service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec({ port: 3002 }),
};

export type InventoryConfig = ConfigOf<typeof configSpec>;
