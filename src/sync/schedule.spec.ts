import { describe, expect, it } from 'vitest';
import { formatDailyAt, nextDailyRun, parseDailyAt } from './schedule.ts';

describe('daily schedule', () => {
  const fallback = { hour: 2, minute: 0 };

  it('reads HH:MM, off, and unset as the fallback', () => {
    expect(parseDailyAt('X', undefined, fallback)).toEqual(fallback);
    expect(parseDailyAt('X', ' ', fallback)).toEqual(fallback);
    expect(parseDailyAt('X', '7:05', fallback)).toEqual({ hour: 7, minute: 5 });
    expect(parseDailyAt('X', 'off', fallback)).toBeNull();
    expect(parseDailyAt('X', '12:5', fallback)).toMatch(/^X must be a time of day in UTC as HH:MM/);
  });

  it('next run is later today when the time is still ahead, else tomorrow, in UTC', () => {
    const at = { hour: 2, minute: 0 };
    expect(nextDailyRun(at, new Date('2026-12-04T01:59:59Z')).toISOString()).toBe('2026-12-04T02:00:00.000Z');
    expect(nextDailyRun(at, new Date('2026-12-04T02:00:00Z')).toISOString()).toBe('2026-12-05T02:00:00.000Z');
    expect(nextDailyRun(at, new Date('2026-12-31T18:00:00Z')).toISOString()).toBe('2027-01-01T02:00:00.000Z');
    expect(formatDailyAt({ hour: 7, minute: 5 })).toBe('07:05');
  });
});
