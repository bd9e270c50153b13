import { expect } from "vitest";

/**
 * What `promise` rejects with, which the test expects to be a `type` (it fails if the promise
 * resolves or rejects with anything else): for the tests that go on to check the error's fields.
 */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
