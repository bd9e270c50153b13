import { createScratchSchema, freePort, serviceEnvironment, testInfra } from "@herald/dev-stack/testing";
import { type RunningService, startService } from "@herald/service-kit";
import { testTokens } from "@herald/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InventoryConfig } from "./config.js";
import { inventoryService } from "./service.js";
import { logger } from "./testing/harness.js";

// The whole service as main.ts starts it, minus its consumer: subscribing to the shared `orders`
// and `payments` topics would read other runs' events. The relay is external for the same reason.
let scratch: Awaited<ReturnType<typeof createScratchSchema>>;
let running: RunningService<InventoryConfig>;

beforeAll(async () => {
  scratch = await createScratchSchema(testInfra().databaseUrls.inventory, "inventory_service");
  running = await startService(
    { ...inventoryService, consumer: undefined },
    {
      env: serviceEnvironment(scratch.url, {
        // A port nobody listens on right now (the config refuses 0).
        PORT: String(await freePort()),
        HOST: "127.0.0.1",
        RELAY_MODE: "external",
      }),
      logger,
    },
  );
});

afterAll(async () => {
  await running?.stop();
  await scratch?.drop();
});

describe("the Inventory service, started", () => {
  it("migrates, seeds the catalog's stock, is ready, and serves its API and documentation", async () => {
    const { app } = running;
    expect((await app.inject("/health/ready")).statusCode).toBe(200);
    expect((await app.inject("/stock")).json().items).toHaveLength(6);
    const restock = await app.inject({
      method: "POST",
      url: "/stock/HRL-HOODIE-GREY-L/adjustments",
      headers: { authorization: `Bearer ${await testTokens.staff("operator")}` },
      payload: { delta: 5 },
    });
    expect(restock.json()).toMatchObject({ onHand: 30, available: 30 });
    const document = (await app.inject("/docs/json")).json();
    expect(document.info).toMatchObject({ title: "Herald Inventory service", version: "0.1.0" });
    expect(document.paths["/reservations"]).toBeDefined();
  });
});
