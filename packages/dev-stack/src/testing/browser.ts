import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

// The browser the UI tests drive (the analytics dashboard's, the trace UI's): Debian's Chromium
// through playwright-core, which downloads no browser of its own. playwright-core is a peer
// dependency: a package whose tests import this entry has it among its own.

export const CHROMIUM = process.env.HERALD_CHROMIUM ?? "/usr/bin/chromium";
const INSTALL_HINT = "install one with `npm run browser:install` (Debian's chromium)";

/** Whether there is a browser to run; under CI=true a missing one fails the file instead of skipping it. */
export function browserAvailable(test: string): boolean {
  const found = existsSync(CHROMIUM);
  if (!found && process.env.CI === "true")
    throw new Error(`${test} needs Chromium at ${CHROMIUM}: ${INSTALL_HINT}`);
  if (!found) console.warn(`${test} skipped: no Chromium at ${CHROMIUM}; ${INSTALL_HINT}`);
  return found;
}

export interface Browser {
  readonly page: Page;
  /** Failed requests, page errors and console errors seen so far. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** A headless Chromium with a throwaway profile and one page, at `viewport`. */
export async function openBrowser(viewport: { width: number; height: number }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "herald-browser-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      viewport,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  return {
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
