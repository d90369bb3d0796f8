/**
 * Xero's API limits: per tenant 5 concurrent calls, 60 per rolling minute and 5,000 per rolling
 * day; 10,000 per minute for the app across tenants. Every counted response carries the
 * remaining budgets; a call over a limit gets 429 with `Retry-After` (seconds) and
 * `X-Rate-Limit-Problem` naming the limit.
 * Docs: https://developer.xero.com/documentation/guides/oauth2/limits
 */
import type { Clock } from '../../../src/sandbox/kit/clock.ts';

export interface LimitSettings {
  perMinute: number;
  perDay: number;
  concurrent: number;
  appPerMinute: number;
}

export const DEFAULT_LIMITS: LimitSettings = {
  perMinute: 60,
  perDay: 5_000,
  concurrent: 5,
  appPerMinute: 10_000,
};

export type Acquired =
  | { ok: true; headers: Record<string, string>; release(): void }
  | {
      ok: false;
      problem: 'concurrent' | 'daily' | 'minute' | 'appminute';
      retryAfterSeconds: number;
      headers: Record<string, string>;
    };

export interface Limiter {
  acquire(tenantId: string): Acquired;
  settings(): LimitSettings;
  configure(patch: Partial<LimitSettings>): LimitSettings;
  /** Forgets every counted call (not the settings). */
  reset(): void;
  usage(tenantId: string): { minute: number; day: number; inFlight: number };
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export function createLimiter(clock: Clock, initial: Partial<LimitSettings> = {}): Limiter {
  let current: LimitSettings = { ...DEFAULT_LIMITS, ...initial };
  const calls = new Map<string, number[]>(); // per tenant, timestamps within the last day
  const inFlight = new Map<string, number>();
  let appCalls: number[] = [];

  const window = (list: number[], now: number, span: number) => list.filter((t) => t > now - span);

  return {
    settings: () => ({ ...current }),
    configure(patch) {
      current = { ...current, ...patch };
      return { ...current };
    },
    reset() {
      calls.clear();
      appCalls = [];
    },
    usage(tenantId) {
      const now = clock.now();
      const list = calls.get(tenantId) ?? [];
      return {
        minute: window(list, now, MINUTE).length,
        day: window(list, now, DAY).length,
        inFlight: inFlight.get(tenantId) ?? 0,
      };
    },
    acquire(tenantId) {
      const now = clock.now();
      const day = window(calls.get(tenantId) ?? [], now, DAY);
      calls.set(tenantId, day);
      appCalls = window(appCalls, now, MINUTE);
      const minute = day.filter((t) => t > now - MINUTE);
      const running = inFlight.get(tenantId) ?? 0;
      const remaining = (used: { day: number; minute: number; app: number }) => ({
        'X-DayLimit-Remaining': String(Math.max(0, current.perDay - used.day)),
        'X-MinLimit-Remaining': String(Math.max(0, current.perMinute - used.minute)),
        'X-AppMinLimit-Remaining': String(Math.max(0, current.appPerMinute - used.app)),
      });
      // Seconds until the oldest call in the window leaves it.
      const wait = (list: number[], span: number) =>
        Math.max(1, Math.ceil(((list[0] ?? now) + span - now) / 1000));
      const refuse = (
        problem: 'concurrent' | 'daily' | 'minute' | 'appminute',
        retryAfterSeconds: number,
      ) => ({
        ok: false as const,
        problem,
        retryAfterSeconds,
        headers: remaining({ day: day.length, minute: minute.length, app: appCalls.length }),
      });
      if (running >= current.concurrent) return refuse('concurrent', 1);
      if (day.length >= current.perDay) return refuse('daily', wait(day, DAY));
      if (minute.length >= current.perMinute) return refuse('minute', wait(minute, MINUTE));
      if (appCalls.length >= current.appPerMinute) return refuse('appminute', wait(appCalls, MINUTE));
      day.push(now);
      appCalls.push(now);
      inFlight.set(tenantId, running + 1);
      let released = false;
      return {
        ok: true,
        headers: remaining({ day: day.length, minute: minute.length + 1, app: appCalls.length }),
        release() {
          if (released) return;
          released = true;
          inFlight.set(tenantId, Math.max(0, (inFlight.get(tenantId) ?? 1) - 1));
        },
      };
    },
  };
}
