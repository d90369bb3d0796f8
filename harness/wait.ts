/**
 * Polls `check` (which may be asynchronous: a request, a store query) until it returns a value (not
 * undefined), or throws after `timeoutMs` with what it last saw.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  describe: () => string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
