import { defineConfig } from "vitest/config";

const sourceConditions = { conditions: ["herald-source"] };
const infraSetup = "./packages/dev-stack/src/testing/global-setup.ts";
const systemSetup = "./packages/dev-stack/src/testing/e2e-setup.ts";

/**
 * One run, three tiers: unit tests need nothing; integration and end-to-end tests get real
 * infra from the global setup (started once per run unless the environment names it).
 */
export default defineConfig({
  resolve: sourceConditions,
  ssr: { resolve: { conditions: ["herald-source"], externalConditions: ["herald-source"] } },
  // Global setup files run in Vitest's own server environment, which takes neither of the above.
  environments: {
    __vitest__: { resolve: { conditions: ["herald-source"], externalConditions: ["herald-source"] } },
  },
  test: {
    // kafkajs announces its v2 partitioner change on every producer; Herald's producers choose it explicitly.
    env: { KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{packages,services}/*/{src,test}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.e2e.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          sequence: { groupOrder: 0 },
          include: ["{packages,services}/*/{src,test}/**/*.int.test.ts"],
          globalSetup: [infraSetup],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["{packages,services}/*/{src,test}/**/*.e2e.test.ts", "test/**/*.e2e.test.ts"],
          // After the other tiers, one file at a time: the files share one system of service processes.
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          globalSetup: [infraSetup, systemSetup],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
