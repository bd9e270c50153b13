import { afterEach, beforeEach } from "vitest";

interface Closable {
  close(): Promise<void>;
}

/** A {@link reopenableForEachTest} fixture: the current test's, and a way to swap it for another. */
export type Reopenable<T, O> = T & {
  /** Closes this test's fixture and gives the rest of the test one made with `options`. */
  reopen(options: O): Promise<void>;
};

/**
 * Creates a fixture (a harness) before each test of the calling file or `describe` and closes it
 * after; the returned object always answers for the current test's, so its members must not rely
 * on `this`. `name` says what is missing when it is used outside a test.
 */
export function freshForEachTest<T extends Closable>(name: string, create: () => Promise<T>): T {
  return reopenableForEachTest<T, undefined>(name, () => create(), undefined);
}

/**
 * {@link freshForEachTest} whose fixture is made with `options`, and that a test can `reopen` with
 * others (a setting read once at start, say): the current fixture is closed and replaced for the
 * rest of that test. `T` must not have a member named `reopen`.
 */
export function reopenableForEachTest<T extends Closable, O>(
  name: string,
  create: (options: O) => Promise<T>,
  options: O,
): Reopenable<T, O> {
  let current: T | undefined;
  beforeEach(async () => {
    current = await create(options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const fixture = () => {
    if (!current) throw new Error(`${name} exists only while a test runs`);
    return current;
  };
  const reopen = async (next: O) => {
    await fixture().close();
    current = undefined;
    current = await create(next);
  };
  return new Proxy({} as Reopenable<T, O>, {
    get: (_, key) => (key === "reopen" ? reopen : Reflect.get(fixture(), key)),
  });
}
