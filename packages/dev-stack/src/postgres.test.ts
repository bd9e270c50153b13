import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stackLogins } from "./postgres.js";

const initScript = readFileSync(new URL("../postgres/init-databases.sql", import.meta.url), "utf8");

describe("the compose init script", () => {
  it.each(stackLogins())("provisions $database exactly as the native stack does", (login) => {
    expect(initScript).toContain(`CREATE ROLE ${login.role} WITH LOGIN PASSWORD '${login.password}';`);
    expect(initScript).toContain(`CREATE DATABASE ${login.database} OWNER ${login.role};`);
    expect(initScript).toContain(`REVOKE ALL ON DATABASE ${login.database} FROM PUBLIC;`);
  });

  it("provisions nothing the native stack does not", () => {
    const roles = [...initScript.matchAll(/CREATE ROLE (\w+)/g)].map((match) => match[1]);
    expect(roles.sort()).toEqual(
      stackLogins()
        .map((login) => login.role)
        .sort(),
    );
  });
});
