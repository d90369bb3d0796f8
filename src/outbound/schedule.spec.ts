import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, retryDelayMs, STANDARD_SCHEDULE_MS } from './schedule.ts';

const noJitter = () => 0;

describe('the retry schedule', () => {
  it("is Standard Webhooks' suggested one by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then FAILED", () => {
    const delays = Array.from({ length: 8 }, (_, i) => retryDelayMs(i + 1, DEFAULT_RETRY, noJitter));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, null]);
  });

  it('keeps trying for more than a day before giving up', () => {
    let total = 0;
    for (let failed = 1; ; failed++) {
      const delay = retryDelayMs(failed, DEFAULT_RETRY, noJitter);
      if (delay === null) break;
      total += delay;
    }
    expect(total).toBeGreaterThan(86_400_000);
    expect(total).toBe(STANDARD_SCHEDULE_MS.reduce((a, b) => a + b, 0));
  });

  it('repeats the last step past the list when more attempts are configured', () => {
    const settings = { ...DEFAULT_RETRY, maxAttempts: 12 };
    expect(retryDelayMs(10, settings, noJitter)).toBe(36_000_000);
    expect(retryDelayMs(12, settings, noJitter)).toBeNull();
  });

  it('scales with the base and stops at the cap (how tests and benchmarks shorten a day)', () => {
    const settings = { baseMs: 5, maxMs: 1_000, maxAttempts: 8 };
    const delays = Array.from({ length: 7 }, (_, i) => retryDelayMs(i + 1, settings, noJitter));
    expect(delays).toEqual([5, 300, 1_000, 1_000, 1_000, 1_000, 1_000]);
  });

  it('adds up to a tenth of jitter, never less than the schedule', () => {
    expect(retryDelayMs(2, DEFAULT_RETRY, () => 0.999_999)).toBe(330_000);
    expect(retryDelayMs(2, DEFAULT_RETRY, () => 0.5)).toBe(315_000);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(1, DEFAULT_RETRY)));
    expect(spread.size).toBeGreaterThan(1);
    for (const delay of spread) {
      expect(delay).toBeGreaterThanOrEqual(5_000);
      expect(delay).toBeLessThanOrEqual(5_500);
    }
  });
});
