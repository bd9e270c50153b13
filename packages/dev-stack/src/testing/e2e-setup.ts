import { defaultStackOptions } from "../config.js";
import { zipkinComponent } from "../zipkin.js";
import { beginSystemRun, endSystemRun, recordStarted } from "./system.js";

/**
 * The e2e tier's global setup: e2e files start the system they need (`startSystem`); at the end of
 * the run this stops whatever they started, and nothing a developer was already running; while
 * another e2e run (a second checkout's test, a developer's) still uses it, the last one out stops it.
 * Zipkin runs first, so every service and relay the files start sends it their spans (see
 * tracingEnvironment).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const zipkin = zipkinComponent(defaultStackOptions());
  // Leftovers of an interrupted run are stopped first.
  if ((await beginSystemRun()).includes(zipkin.name)) await zipkin.down();
  if (await zipkin.up()) recordStarted(zipkin.name);
  return async () => {
    if ((await endSystemRun()).includes(zipkin.name)) await zipkin.down();
  };
}
