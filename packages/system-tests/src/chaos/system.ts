import type { Stack } from "@herald/dev-stack";
import type { Client } from "../client.js";

/** The private stack the chaos test runs, the client that reads its services, and its state folder. */
export interface ChaosSystem {
  readonly stack: Stack;
  readonly client: Client;
  /** Where the stack keeps its state; its processes' logs are in `logs/` below it. */
  readonly stateDir: string;
}
