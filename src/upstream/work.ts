/**
 * Who is waiting for an upstream call. Interactive work (a GraphQL request) goes before background
 * work (webhook processing, outbox retries, backfills, channel renewals) when a vendor's rate budget
 * is short, and background work leaves part of each budget unused.
 *
 * A call is interactive when it carries a request's deadline signal (`withDeadline`, made for every
 * GraphQL query and mutation), background otherwise. Not AsyncLocalStorage: on Node 20 it turns on
 * promise hooks for the whole process, and that made the warm 1,000-customer page about 30% slower
 * (graphql-js creates a promise per field); see the README notes.
 */
export type Priority = 'interactive' | 'background';

/** When each deadline signal fires, so waits that cannot finish in time give up at once. */
const deadlines = new WeakMap<AbortSignal, number>();

/**
 * A signal that aborts when `parent` does or `ms` from now, whichever is first. Every upstream call
 * made with it is bounded by the deadline (budget waits, retries, the calls themselves) and counts
 * as interactive.
 */
export function withDeadline(parent: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  deadlines.set(signal, Date.now() + ms);
  return signal;
}

export function priorityOf(signal: AbortSignal | undefined): Priority {
  return signal && deadlines.has(signal) ? 'interactive' : 'background';
}

/** Milliseconds left before the signal's deadline; Infinity when it has none. */
export function timeLeft(signal: AbortSignal | undefined): number {
  const at = signal && deadlines.get(signal);
  return at === undefined ? Infinity : at - Date.now();
}
