import { stopSystem } from "./system.js";

/**
 * The e2e tier's global setup: e2e files start the system they need (`startSystem`); at the end of
 * the run this stops whatever they started, and nothing a developer was already running.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await stopSystem(); // leftovers of an interrupted run
  return () => stopSystem();
}
