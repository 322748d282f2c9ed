/** The error `run` throws, to look at more than its message; fails the test when it throws nothing. */
export function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
