import { type ConfigOf, readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

/** Every setting of the Inventory service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec(manifest),
};

export type InventoryConfig = ConfigOf<typeof configSpec>;
