/**
 * When a failed delivery is tried again: the schedule the Standard Webhooks specification suggests
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#deliverability-and-reliability),
 * roughly exponential: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure, the last entry
 * repeating past the list. With the default 8 attempts, the last is at least 27 h 35 min after the
 * first, then the delivery is FAILED (visible and replayable).
 */
export const STANDARD_SCHEDULE_MS = [
  5_000, // 5 seconds
  300_000, // 5 minutes
  1_800_000, // 30 minutes
  7_200_000, // 2 hours
  18_000_000, // 5 hours
  36_000_000, // 10 hours
  36_000_000,
] as const;

export interface RetrySettings {
  /**
   * The first delay (`OUTBOUND_RETRY_BASE_MS`, default 5 s); the whole schedule scales with it, so
   * tests and benchmarks shorten it (a base of 5 ms makes 5 min into 300 ms).
   */
  baseMs: number;
  /** No delay is longer than this before jitter (`OUTBOUND_RETRY_MAX_MS`, default 10 h). */
  maxMs: number;
  /** Attempts in all, the first included (`OUTBOUND_MAX_ATTEMPTS`, default 8). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetrySettings = { baseMs: 5_000, maxMs: 36_000_000, maxAttempts: 8 };

/** Jitter only adds (up to a tenth), so the schedule's total, and "at least a day", holds. */
const JITTER = 0.1;

/**
 * The delay before the next attempt after `failedAttempts` attempts have failed, or null when that
 * was the last one. `random` is for tests.
 */
export function retryDelayMs(
  failedAttempts: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): number | null {
  if (failedAttempts >= settings.maxAttempts) return null;
  const index = Math.min(Math.max(failedAttempts, 1), STANDARD_SCHEDULE_MS.length) - 1;
  const scaled = (STANDARD_SCHEDULE_MS[index]! * settings.baseMs) / STANDARD_SCHEDULE_MS[0];
  const capped = Math.min(scaled, settings.maxMs);
  return Math.round(capped * (1 + JITTER * random()));
}
