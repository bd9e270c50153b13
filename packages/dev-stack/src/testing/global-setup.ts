import type { TestProject } from "vitest/node";
import { defaultStackOptions } from "../config.js";
import { infraFromEnvironment } from "../environment.js";
import { StackError } from "../errors.js";
import { createStack } from "../stack.js";

/**
 * Uses the infrastructure named by the environment, or starts the native stack and stops
 * afterwards whatever this run started (a stack the developer already had running is left alone).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = infraFromEnvironment();
  if (given) {
    project.provide("herald:infra", given);
    return async () => {};
  }
  const stack = createStack(defaultStackOptions());
  let started: string[];
  try {
    started = await stack.up();
  } catch (error) {
    if (error instanceof StackError) throw new Error(`${error.message}\n  → ${error.hint}`, { cause: error });
    throw error;
  }
  project.provide("herald:infra", stack.infra);
  return async () => {
    if (started.length > 0) await stack.down(started);
  };
}
