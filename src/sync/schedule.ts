/** A time of day in UTC at which something runs every day. */
export interface DailyAt {
  hour: number;
  minute: number;
}

/**
 * `SWITCHBOARD_RECONCILE_AT`: `HH:MM` in UTC (`02:00`, the default) or `off`. Returns the time, null
 * for off, or the problem to report, naming the variable.
 */
export function parseDailyAt(
  name: string,
  raw: string | undefined,
  fallback: DailyAt,
): DailyAt | null | string {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim();
  if (value.toLowerCase() === 'off') return null;
  const match = /^(\d{1,2}):(\d{2})$/.exec(value);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) {
    return `${name} must be a time of day in UTC as HH:MM (00:00 to 23:59, e.g. 02:00) or off, got "${raw}"`;
  }
  return { hour, minute };
}

/** The first moment after `now` at `at` (UTC). */
export function nextDailyRun(at: DailyAt, now: Date): Date {
  const next = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), at.hour, at.minute, 0, 0),
  );
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

export const formatDailyAt = (at: DailyAt) =>
  `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`;
