import { defaultStackOptions } from "../config.js";
import { zipkinComponent } from "../zipkin.js";
import { stopSystem } from "./system.js";

/**
 * The e2e tier's global setup: e2e files start the system they need (`startSystem`); at the end of
 * the run this stops whatever they started, and nothing a developer was already running. Zipkin runs
 * first, so every service and relay the files start sends it their spans (see tracingEnvironment).
 */
export default async function setup(): Promise<() => Promise<void>> {
  await stopSystem(); // leftovers of an interrupted run
  const zipkin = zipkinComponent(defaultStackOptions());
  const startedZipkin = await zipkin.up();
  return async () => {
    await stopSystem();
    if (startedZipkin) await zipkin.down();
  };
}
