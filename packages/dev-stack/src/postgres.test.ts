import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderInitDatabases, stackLogins } from "./postgres.js";

const initScript = readFileSync(new URL("../postgres/init-databases.sql", import.meta.url), "utf8");

describe("the compose init script", () => {
  it("is what the services' package.json files give today (else run npm run compose:files)", () => {
    expect(initScript).toBe(renderInitDatabases());
  });

  it.each(stackLogins())("provisions $database exactly as the native stack does", (login) => {
    expect(initScript).toContain(`CREATE ROLE ${login.role} WITH LOGIN PASSWORD '${login.password}';`);
    expect(initScript).toContain(`CREATE DATABASE ${login.database} OWNER ${login.role};`);
    expect(initScript).toContain(`REVOKE ALL ON DATABASE ${login.database} FROM PUBLIC;`);
  });
});
