import { afterEach, beforeEach } from "vitest";

/**
 * Creates a fixture (a harness) before each test of the calling file or `describe` and closes it
 * after; the returned object always answers for the current test's, so its members must not rely
 * on `this`. `name` says what is missing when it is used outside a test.
 */
export function freshForEachTest<T extends { close(): Promise<void> }>(
  name: string,
  create: () => Promise<T>,
): T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await create();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!current) throw new Error(`${name} exists only while a test runs`);
      return Reflect.get(current, key);
    },
  });
}
