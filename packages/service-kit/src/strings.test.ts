import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAFE_STRING_PATTERN, safeString } from "./strings.js";
import { createTestHttpServer } from "./testing-http.js";

let app: FastifyInstance;
beforeAll(async () => {
  app = await createTestHttpServer("Strings");
  app.post(
    "/names",
    {
      config: { access: "public" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: { name: safeString(20), nickname: { ...safeString(20), type: ["string", "null"] } },
        },
      },
    },
    async () => ({ ok: true }),
  );
  await app.ready();
});
afterAll(() => app.close());

const send = (body: Record<string, unknown>) => app.inject({ method: "POST", url: "/names", payload: body });

describe("safeString", () => {
  it.each([
    ["plain text", "Ada Lovelace"],
    ["letters of any script", "東京 Zoë Ćwikła"],
    ["astral characters and joined emoji", "𝔄da 👩‍💻"],
    ["inner and surrounding spaces", " Ada  L "],
  ])("accepts %s", async (_case, name) => {
    expect((await send({ name, nickname: null })).statusCode).toBe(200);
  });

  it.each([
    ["an empty string", ""],
    ["white space only", " \u00a0\u3000 "],
    ["a NUL", "Ada\u0000"],
    ["a tab", "Ada\tL"],
    ["a line break", "Ada\nL"],
    ["DEL", "Ada\u007f"],
    ["a C1 control", "Ada\u0085"],
    ["a lone high surrogate", "Ada\ud83d"],
    ["a lone low surrogate", "\udc69Ada"],
    ["surrogates in the wrong order", "\udc69\ud83d"],
    ["too much text", "x".repeat(21)],
  ])("refuses %s, naming the field", async (_case, name) => {
    const response = await send({ name });
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([{ path: "body/name", message: expect.any(String) }]);
  });

  it("applies to the strings of a nullable field and lets null through", async () => {
    expect((await send({ name: "Ada", nickname: null })).statusCode).toBe(200);
    expect((await send({ name: "Ada", nickname: " " })).json().details).toEqual([
      { path: "body/nickname", message: "must be text with a visible character and no control characters" },
    ]);
  });

  it("matches in linear time", () => {
    const pattern = new RegExp(SAFE_STRING_PATTERN, "u");
    const started = performance.now();
    expect(pattern.test(`${" ".repeat(1_000_000)}\u0000`)).toBe(false);
    expect(pattern.test(" ".repeat(1_000_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
