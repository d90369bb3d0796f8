/**
 * At most `max` tasks running at once; the rest wait in arrival order. Vendors refuse calls over
 * their concurrency limit with a 429 (Xero a tenant's sixth, QuickBooks a company's eleventh), so a
 * batch that fans out into many chunks queues here rather than let the vendor bounce them (when no
 * rate budget, which has its own concurrency limit, sits in front of the client).
 */
export type Gate = <T>(task: () => Promise<T>) => Promise<T>;

export function createGate(max: number): Gate {
  if (!Number.isInteger(max) || max < 1)
    throw new Error(`concurrency must be a positive integer, got ${max}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finishing task hands its slot straight to the next waiter, so a caller arriving in between
  // cannot slip in and make it max + 1.
  const acquire = (): Promise<void> | void => {
    if (running < max) {
      running++;
      return;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async (task) => {
    await acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}
