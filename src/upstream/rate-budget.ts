import { randomUUID } from 'node:crypto';
import { SourceError } from '../domain/errors.ts';
import type { SourceName } from '../domain/model.ts';
import { timeLeft, type Priority } from './work.ts';

/**
 * Rate budgets: how many calls a workspace may send a vendor, so the hub stays under the vendor's
 * published limits instead of learning them from 429s.
 *
 * Each window is a sliding log of send times, not a refilling token bucket: the vendors count
 * rolling windows (Xero's "rolling minute", HubSpot's TEN_SECONDLY_ROLLING), and a bucket of
 * capacity N refilling N per window lets 2N through in one of theirs. The window is also widened by
 * a margin, because the vendor counts a call when it arrives and the hub when it leaves.
 */
/** `vendorCode` of a call the budget refused (the vendor never saw it). */
export const RATE_BUDGET = 'RATE_BUDGET';

export const newLease = () => randomUUID();

export interface RateWindow {
  /** Short name, also the metric label: `minute`, `day`, `10s`, `second`. */
  name: string;
  limit: number;
  windowMs: number;
  /** Only these operations count against this window (HubSpot's search has 5/s of its own); all when absent. */
  operations?: readonly string[];
}

export interface RateLimits {
  windows: RateWindow[];
  /** Calls in flight at once (Xero: 5 per tenant); none when absent. */
  concurrency?: number;
}

export interface RateBudgetOptions extends RateLimits {
  source: SourceName;
  /** Share of every window background work leaves for interactive calls. */
  reserve?: number;
  /** Added to every window (see above). */
  marginMs?: number;
  /** How long a call without a deadline (background work) waits before giving up with RATE_LIMITED. */
  maxWaitMs?: number;
  /** Where the counts live: this process (default) or Redis, shared by all replicas. */
  backend?: BudgetBackend;
}

export interface BudgetTicket {
  release(): void;
}

export interface WindowState {
  name: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
}

export interface BudgetSnapshot {
  windows: WindowState[];
  concurrency: number | null;
  inFlight: number;
  queued: number;
  /** Set while a vendor's Retry-After holds every call back. */
  pausedUntil: Date | null;
  shared: boolean;
}

export interface RateBudget {
  acquire(options: { priority: Priority; signal?: AbortSignal; operation?: string }): Promise<BudgetTicket>;
  /** The vendor's own count of what is left in a window (rate-limit response headers). */
  observeRemaining(window: string, remaining: number, limit?: number): void;
  /** The vendor asked for a pause (429 with Retry-After): nothing is sent before it ends. */
  pause(ms: number): void;
  snapshot(): Promise<BudgetSnapshot>;
}

/**
 * Either a slot (and its lease, to hand back) or how long until one may be free: `waitMs` for the
 * next slot (0: a concurrency slot, freed by a release), and for a window wait `waits[k]` until the
 * (k+1)-th next slot, so a caller deep in the queue is refused at once when its turn comes too late.
 */
export type TakeResult = { ok: true; lease: string } | { ok: false; waitMs: number; waits?: number[] };

/** The counting part of a budget; the queue and priorities stay in each process. */
export interface BudgetBackend {
  readonly shared: boolean;
  /** `depth`: how many queued callers the `waits` should cover. */
  take(limits: ResolvedLimits, background: boolean, depth?: number): Promise<TakeResult> | TakeResult;
  release(limits: ResolvedLimits, lease: string): void;
  /** Marks `used` slots of a window as spent now (the vendor says fewer are left than we counted). */
  fill(limits: ResolvedLimits, window: string, used: number): void;
  pause(limits: ResolvedLimits, until: number): void;
  state(
    limits: ResolvedLimits,
  ): Promise<{ used: Record<string, number>; inFlight: number; pausedUntil: number }>;
}

/** Limits with the margin and reserve applied, as the backends see them. */
export interface ResolvedLimits {
  /** The budget's identity in a shared store: workspace and source. */
  key: string;
  windows: Array<RateWindow & { spanMs: number }>;
  concurrency: number;
  reserve: number;
  /** How long a concurrency lease lives in a shared store if its holder dies. */
  leaseMs: number;
}

const allowed = (limit: number, reserve: number, background: boolean) =>
  background ? Math.max(1, Math.floor(limit * (1 - reserve))) : limit;

/** Counts in this process: right for one replica, and the fallback when Redis is not configured. */
export function createLocalBudgetBackend(): BudgetBackend {
  const logs = new Map<string, number[]>();
  let inFlight = 0;
  let pausedUntil = 0;
  const log = (name: string) => {
    let list = logs.get(name);
    if (!list) logs.set(name, (list = []));
    return list;
  };
  const prune = (list: number[], spanMs: number, now: number) => {
    let drop = 0;
    while (drop < list.length && (list[drop] as number) <= now - spanMs) drop++;
    if (drop) list.splice(0, drop);
  };
  return {
    shared: false,
    take(limits, background, depth = 1) {
      const now = Date.now();
      const waits = new Array<number>(depth).fill(Math.max(0, pausedUntil - now));
      for (const w of limits.windows) {
        const list = log(w.name);
        prune(list, w.spanMs, now);
        const cap = allowed(w.limit, limits.reserve, background);
        for (let k = 0; k < depth; k++) {
          // The (k+1)-th next slot opens when the call at this index leaves the window; past the
          // calls made so far, when a slot granted meanwhile leaves it, a window later.
          const index = list.length - cap + k;
          const opens =
            index < 0
              ? 0
              : index < list.length
                ? (list[index] as number) + w.spanMs - now
                : (waits[k - cap] ?? 0) + w.spanMs;
          waits[k] = Math.max(waits[k] as number, opens);
        }
      }
      const waitMs = waits[0] as number;
      if (waitMs > 0) return { ok: false, waitMs, waits };
      if (limits.concurrency > 0 && inFlight >= limits.concurrency) return { ok: false, waitMs: 0 };
      for (const w of limits.windows) log(w.name).push(now);
      inFlight++;
      return { ok: true, lease: '' };
    },
    release() {
      inFlight = Math.max(0, inFlight - 1);
    },
    fill(limits, window, used) {
      const now = Date.now();
      const w = limits.windows.find((x) => x.name === window);
      if (!w) return;
      const list = log(window);
      prune(list, w.spanMs, now);
      while (list.length < Math.min(used, w.limit)) list.push(now);
    },
    pause(_limits, until) {
      pausedUntil = Math.max(pausedUntil, until);
    },
    async state(limits) {
      const now = Date.now();
      const used: Record<string, number> = {};
      for (const w of limits.windows) {
        const list = log(w.name);
        prune(list, w.spanMs, now);
        used[w.name] = list.length;
      }
      return { used, inFlight, pausedUntil };
    },
  };
}

/**
 * A budget with a queue: interactive callers are served before background ones, a caller that
 * cannot get a slot before its deadline is refused at once (RATE_LIMITED, with when to come back)
 * rather than left to time out, and nothing is sent while the vendor has asked for a pause.
 */
export function createRateBudget(key: string, options: RateBudgetOptions): RateBudget {
  const {
    source,
    reserve = 0.2,
    marginMs = 1_000, // 1 second
    maxWaitMs = 30_000, // 30 seconds
    backend = createLocalBudgetBackend(),
  } = options;
  const limits: ResolvedLimits = {
    key,
    // A full margin would halve a one-second window; a tenth of the window is plenty there.
    windows: options.windows.map((w) => ({ ...w, spanMs: w.windowMs + Math.min(marginMs, w.windowMs / 10) })),
    concurrency: options.concurrency ?? 0,
    reserve,
    leaseMs: 60_000,
  };
  // The windows each operation counts against; operations with the same windows share one object,
  // which is what groups waiters in the queue.
  const byOperation = new Map<string, ResolvedLimits>();
  const byWindows = new Map<string, ResolvedLimits>();
  const limitsFor = (operation = ''): ResolvedLimits => {
    let found = byOperation.get(operation);
    if (!found) {
      const windows = limits.windows.filter((w) => !w.operations || w.operations.includes(operation));
      const names = windows.map((w) => w.name).join(',');
      found = byWindows.get(names) ?? { ...limits, windows };
      byWindows.set(names, found);
      byOperation.set(operation, found);
    }
    return found;
  };
  interface Waiter {
    priority: Priority;
    signal?: AbortSignal;
    operation?: string;
    resolve(ticket: BudgetTicket): void;
    reject(error: Error): void;
    onAbort?: () => void;
  }
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pumping = false;
  let again = false;

  const refuse = (waiter: Waiter, waitMs: number): SourceError =>
    new SourceError(
      source,
      'RATE_LIMITED',
      `${source}: Switchboard held this call back to stay within the vendor's rate limit; the next slot is in ${Math.ceil(waitMs / 1000)} s`,
      { retryAfterMs: Math.ceil(waitMs), operation: waiter.operation, vendorCode: RATE_BUDGET },
    );

  const settle = (waiter: Waiter) => {
    queue.splice(queue.indexOf(waiter), 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  };

  const ticket = (applicable: ResolvedLimits, lease: string): BudgetTicket => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        backend.release(applicable, lease);
        if (limits.concurrency > 0) void pump();
      },
    };
  };

  // One pass at a time over the queue.
  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        if (timer) clearTimeout(timer);
        timer = undefined;
        // Interactive waiters first, each class in arrival order. A waiter blocked by a window only
        // some operations count against (HubSpot search) must not hold up the others, so each pass
        // tries one waiter per class and set of windows, and a blocked one stops only its group.
        const blocked: Array<{ priority: Priority; applicable: ResolvedLimits }> = [];
        let soonest = Infinity;
        const ordered = [
          ...queue.filter((w) => w.priority === 'interactive'),
          ...queue.filter((w) => w.priority === 'background'),
        ];
        for (const waiter of ordered) {
          const applicable = limitsFor(waiter.operation);
          const stuck = blocked.some((b) => b.priority === waiter.priority && b.applicable === applicable);
          if (stuck || !queue.includes(waiter)) continue;
          const inGroup = queue.filter(
            (other) => other.priority === waiter.priority && limitsFor(other.operation) === applicable,
          );
          let result: TakeResult;
          try {
            result = await backend.take(applicable, waiter.priority === 'background', inGroup.length);
          } catch (error) {
            settle(waiter);
            waiter.reject(error instanceof Error ? error : new Error(String(error)));
            continue;
          }
          if (!queue.includes(waiter)) {
            if (result.ok) backend.release(applicable, result.lease); // it gave up meanwhile
            continue;
          }
          if (result.ok) {
            settle(waiter);
            waiter.resolve(ticket(applicable, result.lease));
            continue;
          }
          blocked.push({ priority: waiter.priority, applicable });
          // A concurrency wait (0) ends on a release (a shared store is polled). A window wait is
          // known for each place in the queue: refuse at once those whose turn comes after their
          // deadline (or the longest wait), rather than let them wait to be refused.
          const waitMs = result.waitMs;
          soonest = Math.min(soonest, waitMs > 0 ? waitMs : backend.shared ? 25 : Infinity);
          if (waitMs === 0) continue;
          inGroup.forEach((other, place) => {
            const turn = result.waits?.[place] ?? waitMs;
            if (queue.includes(other) && Math.min(timeLeft(other.signal), maxWaitMs) < turn) {
              settle(other);
              other.reject(refuse(other, turn));
            }
          });
        }
        if (queue.length > 0 && soonest < Infinity) {
          timer = setTimeout(() => void pump(), soonest);
          timer.unref(); // a waiting call must not keep the process alive on its own
        }
      } while (again);
    } finally {
      pumping = false;
    }
  };

  return {
    acquire({ priority, signal, operation }) {
      return new Promise<BudgetTicket>((resolve, reject) => {
        const waiter: Waiter = { priority, signal, operation, resolve, reject };
        if (signal?.aborted) {
          reject(abortError(source, operation));
          return;
        }
        if (signal) {
          waiter.onAbort = () => {
            settle(waiter);
            reject(abortError(source, operation));
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        queue.push(waiter);
        void pump();
      });
    },
    observeRemaining(window, remaining, limit) {
      const w = limits.windows.find((x) => x.name === window);
      if (!w || !Number.isFinite(remaining)) return;
      // A vendor that grants more (a higher HubSpot tier) or less than the published default.
      if (limit !== undefined && Number.isInteger(limit) && limit > 0) w.limit = limit;
      backend.fill(limits, window, w.limit - Math.max(0, remaining));
    },
    pause(ms) {
      if (!(ms > 0)) return;
      backend.pause(limits, Date.now() + ms);
      void pump();
    },
    async snapshot() {
      const state = await backend.state(limits);
      return {
        windows: limits.windows.map((w) => ({
          name: w.name,
          limit: w.limit,
          windowSeconds: w.windowMs / 1000,
          remaining: Math.max(0, w.limit - (state.used[w.name] ?? 0)),
        })),
        concurrency: limits.concurrency || null,
        inFlight: state.inFlight,
        queued: queue.length,
        pausedUntil: state.pausedUntil > Date.now() ? new Date(state.pausedUntil) : null,
        shared: backend.shared,
      };
    },
  };
}

function abortError(source: SourceName, operation: string | undefined): SourceError {
  return new SourceError(
    source,
    'TIMEOUT',
    `${source} ${operation ?? 'call'}: the request's deadline passed`,
    {
      operation,
    },
  );
}
