/**
 * Time handling the way the Calendar API does it: RFC 3339 timestamps (offset mandatory in query
 * parameters, optional in an event's `dateTime` when a `timeZone` is given), all-day `date`s, and
 * responses rendered in the calendar's (or the requested) IANA time zone with its UTC offset.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export interface ParsedDateTime {
  local: LocalDateTime;
  /** Minutes east of UTC, or undefined when the text has no offset. */
  offsetMinutes?: number;
}

function validLocal(l: LocalDateTime): boolean {
  const probe = new Date(Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second));
  return (
    probe.getUTCFullYear() === l.year &&
    probe.getUTCMonth() === l.month - 1 &&
    probe.getUTCDate() === l.day &&
    probe.getUTCHours() === l.hour &&
    probe.getUTCMinutes() === l.minute &&
    probe.getUTCSeconds() === l.second
  );
}

export function parseDateTime(text: string): ParsedDateTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const local: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
    millisecond: m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0,
  };
  if (!validLocal(local)) return undefined;
  const zone = m[8];
  if (zone === undefined) return { local };
  if (zone === 'Z' || zone === 'z') return { local, offsetMinutes: 0 };
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return { local, offsetMinutes: sign * (hours * 60 + minutes) };
}

export function parseDate(text: string): LocalDateTime | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const local = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: 0,
    minute: 0,
    second: 0,
    millisecond: 0,
  };
  return validLocal(local) ? local : undefined;
}

/** An RFC 3339 timestamp with a mandatory offset (query parameters such as `timeMin`), as epoch ms. */
export function parseInstant(text: string): number | undefined {
  const parsed = parseDateTime(text);
  if (!parsed || parsed.offsetMinutes === undefined) return undefined;
  return localToUtcWithOffset(parsed.local, parsed.offsetMinutes);
}

const localAsUtc = (l: LocalDateTime) =>
  Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second, l.millisecond);

export const localToUtcWithOffset = (l: LocalDateTime, offsetMinutes: number) =>
  localAsUtc(l) - offsetMinutes * 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Offsets per zone and 15-minute slot: every zone in use changes offset on a quarter hour, and
 * formatToParts per event was most of the time of a 2,500-event listing.
 */
const offsets = new Map<string, number>();
const SLOT_MS = 15 * 60_000;

/** The zone's UTC offset in minutes at an instant ("GMT+01:00" -> 60). */
export function zoneOffsetMinutes(ms: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(ms / SLOT_MS)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    offset = computeOffsetMinutes(ms, timeZone);
    offsets.set(key, offset);
  }
  return offset;
}

function computeOffsetMinutes(ms: number, timeZone: string): number {
  const name = formatterFor(timeZone)
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name ?? '');
  if (!m) return 0; // plain "GMT"
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Wall-clock time in a zone to an instant; a skipped local time (DST gap) moves forward. */
export function zonedToUtc(l: LocalDateTime, timeZone: string): number {
  const guess = localAsUtc(l);
  const first = guess - zoneOffsetMinutes(guess, timeZone) * 60_000;
  const second = guess - zoneOffsetMinutes(first, timeZone) * 60_000;
  return Math.max(first, second);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** `2026-11-23T10:00:00Z` or `2026-06-01T10:00:00+01:00`: Google renders whole seconds. */
export function formatInZone(ms: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(ms, timeZone);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  return `${local}${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** `created` / `updated`: UTC with milliseconds. */
export const rfc3339Utc = (ms: number) => new Date(ms).toISOString();

/** HTTP-date (RFC 1123), used by `X-Goog-Channel-Expiration`. */
export const rfc1123 = (ms: number) => new Date(ms).toUTCString();
