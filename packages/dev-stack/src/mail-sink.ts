import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Component, daemonComponent } from "./component.js";
import type { StackOptions } from "./config.js";

/** MailDev: an SMTP server that keeps every mail, with a web UI and a REST API for tests. */
export function mailSinkComponent(options: StackOptions): Component {
  const apiUrl = `http://${options.host}:${options.ports.mailWeb}`;
  return daemonComponent(options, {
    name: "mail-sink",
    port: options.ports.smtp,
    readyTimeoutMs: 30_000,
    describe: () => `smtp://${options.host}:${options.ports.smtp}, ${apiUrl}`,
    async prepare() {
      const packageJson = createRequire(import.meta.url).resolve("maildev/package.json");
      return {
        command: process.execPath,
        args: [
          join(dirname(packageJson), "bin", "maildev"),
          "--ip",
          options.host,
          "--smtp",
          String(options.ports.smtp),
          "--web-ip",
          options.host,
          "--web",
          String(options.ports.mailWeb),
        ],
      };
    },
    async isReady() {
      const response = await fetch(`${apiUrl}/email`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    },
  });
}
