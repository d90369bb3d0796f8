import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is waiting for an upstream call. Interactive work (a GraphQL request, a mutation's fast path)
 * goes before background work (webhook processing, outbox retries, backfills, channel renewals)
 * when a vendor's rate budget is short, and background work leaves part of each budget unused.
 */
export type Priority = 'interactive' | 'background';

const priority = new AsyncLocalStorage<Priority>();

/** Runs `fn` (and everything it starts) as background work. */
export function inBackground<T>(fn: () => T): T {
  return priority.run('background', fn);
}

export function currentPriority(): Priority {
  return priority.getStore() ?? 'interactive';
}

/** When each deadline signal fires, so waits that cannot finish in time give up at once. */
const deadlines = new WeakMap<AbortSignal, number>();

/**
 * A signal that aborts when `parent` does or `ms` from now, whichever is first. Every upstream call
 * made with it is bounded by the deadline: budget waits, retries and the calls themselves.
 */
export function withDeadline(parent: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  deadlines.set(signal, Date.now() + ms);
  return signal;
}

/** Milliseconds left before the signal's deadline; Infinity when it has none. */
export function timeLeft(signal: AbortSignal | undefined): number {
  const at = signal && deadlines.get(signal);
  return at === undefined ? Infinity : at - Date.now();
}
