import { expect } from '@jest/globals';

/** Awaits a promise that must reject with an error of `type`, and returns that error. */
export const rejectionOf = async <E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
};
