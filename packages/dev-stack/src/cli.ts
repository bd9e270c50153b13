import { defaultStackOptions } from "./config.js";
import { infraToEnvironment } from "./environment.js";
import { StackError } from "./errors.js";
import { createStack } from "./stack.js";

const USAGE = "usage: herald-stack up [--infra-only] | down | status | env";

async function main(command: string | undefined, flags: string[]): Promise<number> {
  const full = !flags.includes("--infra-only");
  const stack = createStack(defaultStackOptions(), { services: full, traces: full });
  switch (command) {
    case "up": {
      const startedAt = Date.now();
      const started = await stack.up();
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
      console.log(
        started.length ? `started ${started.join(", ")} in ${seconds}s` : `already running (${seconds}s)`,
      );
      await printStatus();
      return 0;
    }
    case "down": {
      const stopped = await stack.down();
      console.log(stopped.length ? `stopped ${stopped.join(", ")}` : "nothing was running");
      return 0;
    }
    case "status":
      return (await printStatus()) ? 0 : 3;
    case "env":
      for (const [name, value] of Object.entries(infraToEnvironment(stack.infra)))
        console.log(`${name}=${value}`);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }

  async function printStatus(): Promise<boolean> {
    const statuses = await stack.status();
    for (const s of statuses) console.log(`${s.name.padEnd(16)} ${s.state.padEnd(9)} ${s.detail}`);
    return statuses.every((s) => s.state === "ready" || s.state === "external");
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StackError) console.error(`herald-stack: ${error.message}\n  → ${error.hint}`);
    else console.error("herald-stack:", error);
    process.exit(1);
  },
);
