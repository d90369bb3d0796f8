import { WEEKDAYS, type Schedule, type Service } from './schedule.ts';

/**
 * Free slots, computed without any I/O from the schedule and the calendar's busy periods, so the
 * rules are tested on their own (slots.spec.ts):
 *
 * - Each local day in the window, each opening period of its weekday (the business's zone), gives
 *   slot starts every `stepMinutes` of real time from the opening instant, for as long as the
 *   service (its real duration) ends by the closing instant. Opening and closing are wall-clock
 *   times turned into instants on that very day, so a day across a daylight-saving change has the
 *   right local slots: on the spring change a period 00:00–04:00 is three real hours, on the autumn
 *   change five, and a 09:00 opening is 09:00 local either side of it.
 * - A slot is free when no busy period overlaps it widened by the service's buffers
 *   (`bufferBeforeMinutes` before its start, `bufferAfterMinutes` after its end).
 * - Only slots wholly inside [from, to) are returned, earliest first, as UTC instants.
 */

export interface Interval {
  from: Date;
  to: Date;
}

export interface Slot {
  start: Date;
  end: Date;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export function computeSlots(input: {
  schedule: Pick<Schedule, 'hours' | 'timeZone' | 'stepMinutes'>;
  service: Pick<Service, 'durationMinutes' | 'bufferBeforeMinutes' | 'bufferAfterMinutes'>;
  busy: readonly Interval[];
  from: Date;
  to: Date;
}): Slot[] {
  const { schedule, service, from, to } = input;
  const zone = schedule.timeZone;
  const duration = service.durationMinutes * MINUTE;
  const step = schedule.stepMinutes * MINUTE;
  const busy = [...input.busy]
    .map((b) => [b.from.getTime(), b.to.getTime()] as const)
    .sort((a, b) => a[0] - b[0]);
  const before = service.bufferBeforeMinutes * MINUTE;
  const after = service.bufferAfterMinutes * MINUTE;
  const slots: Slot[] = [];
  let b = 0;
  for (const day of localDays(from, to, zone)) {
    const weekday = WEEKDAYS[(new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay() + 6) % 7]!;
    for (const period of schedule.hours[weekday]) {
      const open = wallClockToInstant(day, period.open, zone);
      const close = wallClockToInstant(day, period.close, zone);
      for (let start = open; start + duration <= close; start += step) {
        const end = start + duration;
        if (start < from.getTime() || end > to.getTime()) continue;
        const lo = start - before;
        const hi = end + after;
        // Busy periods are sorted and slots rise, so those ending before this slot never matter again.
        while (b < busy.length && busy[b]![1] <= lo) b++;
        let taken = false;
        for (let i = b; i < busy.length && busy[i]![0] < hi; i++) {
          if (busy[i]![1] > lo) {
            taken = true;
            break;
          }
        }
        if (!taken) slots.push({ start: new Date(start), end: new Date(end) });
      }
    }
  }
  return slots;
}

export interface LocalDay {
  year: number;
  month: number;
  day: number;
}

/** Every local calendar day in the zone that [from, to) touches, in order. */
export function localDays(from: Date, to: Date, timeZone: string): LocalDay[] {
  const first = localDayOf(from, timeZone);
  const last = localDayOf(new Date(Math.max(from.getTime(), to.getTime() - 1)), timeZone);
  const days: LocalDay[] = [];
  for (
    let t = Date.UTC(first.year, first.month - 1, first.day);
    t <= Date.UTC(last.year, last.month - 1, last.day);
    t += DAY
  ) {
    const d = new Date(t);
    days.push({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
  }
  return days;
}

/** The start of the local day (midnight, or the first instant of it) holding `at`. */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  return new Date(wallClockToInstant(localDayOf(at, timeZone), 0, timeZone));
}

export function localDayOf(at: Date, timeZone: string): LocalDay {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/**
 * The instant a wall-clock time (minutes after midnight) of a local day happens in the zone. A time
 * the clocks skip (the spring change's missing hour) moves forward by the gap, as calendars do; a
 * time that happens twice (the autumn change) is its first occurrence.
 */
export function wallClockToInstant(day: LocalDay, minutes: number, timeZone: string): number {
  const asUtc = Date.UTC(day.year, day.month - 1, day.day) + minutes * MINUTE;
  const earlier = asUtc - offsetMinutes(asUtc - DAY / 2, timeZone) * MINUTE;
  const later = asUtc - offsetMinutes(asUtc + DAY / 2, timeZone) * MINUTE;
  // Offsets either side of any change that day: whichever gives back the wall-clock time asked for.
  const candidates = [earlier, later].filter((t) => asUtc === t + offsetMinutes(t, timeZone) * MINUTE);
  if (candidates.length > 0) return Math.min(...candidates);
  // Skipped: the same real time after the change is the wall-clock time moved forward by the gap.
  return Math.max(earlier, later);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC in minutes at an instant ("GMT+01:00" → 60). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const name = formatter(timeZone)
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /^GMT([+-])(\d{2}):?(\d{2})?$/.exec(name ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}
