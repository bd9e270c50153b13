import { type ConfigOf, env, serviceConfigSpec } from "@herald/service-kit";

/** Every setting of the Inventory service; `.env.example` documents each with its development default. */
export const configSpec = {
  ...serviceConfigSpec({ port: 3002 }),
  INVENTORY_ADMIN_TOKEN: env.string({
    description: "bearer token for PUT /stock/:sku, at least 16 visible characters",
    pattern: /^[\x21-\x7E]{16,512}$/,
    secret: true,
  }),
};

export type InventoryConfig = ConfigOf<typeof configSpec>;
