/**
 * QuickBooks Online throttling, per company (realmId) and app: 500 requests in any minute
 * (batch requests included), 10 at once, and at most 40 batch requests a minute. A request over
 * a limit gets HTTP 429 with the gateway's body (`message=ThrottleExceeded; errorCode=003001;
 * statusCode=429`, "The request limit was reached.  Try again later"); Intuit documents no
 * Retry-After header and asks apps to wait 60 seconds, so the sandbox sends none either (its
 * injected 429 faults do carry one, like every sandbox's).
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles
 *       https://blogs.intuit.com/2016/08/08/idg-concurrent-api-use-changes-coming-soon/
 */
import type { Clock } from '../../../src/sandbox/kit/clock.ts';

export interface LimitSettings {
  perMinute: number;
  concurrent: number;
  batchPerMinute: number;
}

export const DEFAULT_LIMITS: LimitSettings = { perMinute: 500, concurrent: 10, batchPerMinute: 40 };

/** Limits high enough that tests and benchmarks which are not about rate limits never meet them. */
export const QUICKBOOKS_RELAXED_LIMITS: LimitSettings = {
  perMinute: 1_000_000,
  concurrent: 1_000,
  batchPerMinute: 100_000,
};

export type Acquired =
  | { ok: true; release(): void }
  | { ok: false; problem: 'concurrent' | 'minute' | 'batch'; retryAfterSeconds: number };

export interface Limiter {
  acquire(realmId: string, batch: boolean): Acquired;
  settings(): LimitSettings;
  configure(patch: Partial<LimitSettings>): LimitSettings;
  /** Forgets every counted call (not the settings). */
  reset(): void;
  usage(realmId: string): { minute: number; batchMinute: number; inFlight: number };
}

const MINUTE = 60_000;

export function createLimiter(clock: Clock, initial: Partial<LimitSettings> = {}): Limiter {
  let current: LimitSettings = { ...DEFAULT_LIMITS, ...initial };
  const calls = new Map<string, number[]>();
  const batches = new Map<string, number[]>();
  const inFlight = new Map<string, number>();
  const recent = (list: number[] | undefined, now: number) => (list ?? []).filter((t) => t > now - MINUTE);
  const wait = (list: number[], now: number) =>
    Math.max(1, Math.ceil(((list[0] ?? now) + MINUTE - now) / 1000));

  return {
    settings: () => ({ ...current }),
    configure(patch) {
      current = { ...current, ...patch };
      return { ...current };
    },
    reset() {
      calls.clear();
      batches.clear();
    },
    usage(realmId) {
      const now = clock.now();
      return {
        minute: recent(calls.get(realmId), now).length,
        batchMinute: recent(batches.get(realmId), now).length,
        inFlight: inFlight.get(realmId) ?? 0,
      };
    },
    acquire(realmId, batch) {
      const now = clock.now();
      const minute = recent(calls.get(realmId), now);
      calls.set(realmId, minute);
      const batchMinute = recent(batches.get(realmId), now);
      batches.set(realmId, batchMinute);
      const running = inFlight.get(realmId) ?? 0;
      if (running >= current.concurrent) return { ok: false, problem: 'concurrent', retryAfterSeconds: 1 };
      if (minute.length >= current.perMinute)
        return { ok: false, problem: 'minute', retryAfterSeconds: wait(minute, now) };
      if (batch && batchMinute.length >= current.batchPerMinute)
        return { ok: false, problem: 'batch', retryAfterSeconds: wait(batchMinute, now) };
      minute.push(now);
      if (batch) batchMinute.push(now);
      inFlight.set(realmId, running + 1);
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          inFlight.set(realmId, Math.max(0, (inFlight.get(realmId) ?? 1) - 1));
        },
      };
    },
  };
}
