import type { CalendarStore } from './state.ts';
import { errors, fail, googleError } from './wire.ts';
import { formatInZone, isTimeZone, parseInstant } from './time.ts';

/**
 * freebusy.query: the busy periods of the requested calendars between `timeMin` and `timeMax`,
 * computed from the sandbox's events the way Google does: cancelled events and events marked
 * `transparency: transparent` ("show as available") are not busy, tentative ones are (transparency
 * decides, not the status); overlapping and touching events merge into one period; periods are
 * clipped to the window. Groups are not modelled: an id that is
 * not the sandbox's calendar gets Google's per-calendar `notFound` error, not a failed request.
 * https://developers.google.com/calendar/api/v3/reference/freebusy/query
 */

type Json = Record<string, unknown>;

/** "Maximum value is 50" / "Maximum value is 100" (the request's expansion limits). */
const CALENDAR_EXPANSION_MAX = 50;
const GROUP_EXPANSION_MAX = 100;
/**
 * Google refuses long windows with `timeRangeTooLong` ("The requested time range is too long."); the
 * documented clients split at 90 days, which is what the sandbox allows.
 */
const MAX_RANGE_MS = 90 * 86_400_000;

const timeRangeTooLong = () =>
  googleError(400, 'The requested time range is too long.', {
    domain: 'calendar',
    reason: 'timeRangeTooLong',
    message: 'The requested time range is too long.',
  });

function instant(body: Json, name: 'timeMin' | 'timeMax'): number {
  const raw = body[name];
  if (raw === undefined || raw === null) fail(errors.required(`Missing ${name} parameter.`, name));
  const ms = typeof raw === 'string' ? parseInstant(raw) : undefined;
  if (ms === undefined) fail(errors.badRequest());
  return ms;
}

function expansion(body: Json, name: string, max: number): void {
  const v = body[name];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    fail(
      errors.invalidParameter(
        name,
        `Invalid value '${String(v)}'. Values must be within the range: [1, ${max}]`,
      ),
    );
}

export function queryFreeBusy(store: CalendarStore, body: Json): Json {
  const timeMin = instant(body, 'timeMin');
  const timeMax = instant(body, 'timeMax');
  if (timeMax <= timeMin) fail(errors.timeRangeEmpty('timeMax'));
  if (timeMax - timeMin > MAX_RANGE_MS) fail(timeRangeTooLong());
  const zone = body.timeZone ?? 'UTC';
  if (typeof zone !== 'string' || !isTimeZone(zone))
    fail(errors.invalidParameter('timeZone', `Invalid time zone: '${String(zone)}'.`));
  expansion(body, 'calendarExpansionMax', CALENDAR_EXPANSION_MAX);
  expansion(body, 'groupExpansionMax', GROUP_EXPANSION_MAX);
  const items = body.items ?? [];
  if (!Array.isArray(items)) fail(errors.invalid('Invalid value for: items', 'items'));
  if (items.length > CALENDAR_EXPANSION_MAX) fail(errors.invalid('Too many calendars requested.', 'items'));
  const ids = items.map((item: unknown) => {
    const id = (item as Json | null)?.id;
    if (typeof id !== 'string' || id.length === 0) fail(errors.required('Required', 'items.id'));
    return id;
  });

  const render = (ms: number) => formatInZone(ms, zone);
  const calendars: Json = {};
  for (const id of ids) {
    calendars[id] = store.hasCalendar(id)
      ? { busy: busyPeriods(store, timeMin, timeMax).map(([s, e]) => ({ start: render(s), end: render(e) })) }
      : { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
  }
  return {
    kind: 'calendar#freeBusy',
    timeMin: render(timeMin),
    timeMax: render(timeMax),
    calendars,
  };
}

/** Merged, sorted busy periods inside [timeMin, timeMax). */
export function busyPeriods(store: CalendarStore, timeMin: number, timeMax: number): Array<[number, number]> {
  const periods = [...store.events.values()]
    .filter(
      (e) =>
        e.data.status !== 'cancelled' &&
        e.data.transparency !== 'transparent' &&
        e.startMs < timeMax &&
        e.endMs > timeMin,
    )
    .map((e): [number, number] => [Math.max(e.startMs, timeMin), Math.min(e.endMs, timeMax)])
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of periods) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
