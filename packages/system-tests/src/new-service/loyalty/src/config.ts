import { readServiceManifest, serviceConfigSpec } from "@herald/service-kit";

/** The service as its package.json declares it: name, version, port, the topics it writes and reads. */
export const manifest = readServiceManifest(import.meta.url);

export const configSpec = { ...serviceConfigSpec(manifest) };
