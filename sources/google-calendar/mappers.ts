import type { BookingStatus, CalendarEvent } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import { createReader } from '../../src/upstream/validate.ts';

/** An event as Google Calendar v3 returns it (only the fields the hub reads). */
export interface GoogleCalendarEvent {
  id: string;
  etag?: string;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  location?: string;
  /** `dateTime` (RFC 3339 with offset) for timed events, `date` (YYYY-MM-DD) for all-day ones. */
  start?: { dateTime?: string; date?: string; timeZone?: string };
  end?: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: Array<{ email?: string; displayName?: string; responseStatus?: string }>;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
}

/** One page of `events.list`. */
export interface GoogleCalendarEventList {
  items?: unknown[];
  /** The calendar's time zone: what an all-day `date` means when the event names none. */
  timeZone?: string;
  nextPageToken?: string;
  nextSyncToken?: string;
}

/**
 * Partial responses: only what the mappers read, which keeps a 2,500-event page small.
 * https://developers.google.com/calendar/api/guides/performance#partial-response
 */
export const EVENT_FIELDS =
  'id,etag,status,htmlLink,created,updated,summary,location,start,end,attendees(email),extendedProperties';
export const LIST_FIELDS = `items(${EVENT_FIELDS}),timeZone,nextPageToken,nextSyncToken`;

const read = createReader('google_calendar');

const STATUSES: Record<string, BookingStatus> = {
  confirmed: 'CONFIRMED',
  tentative: 'TENTATIVE',
  cancelled: 'CANCELLED',
};

/**
 * Google may answer a deleted event with little more than `{id, status: 'cancelled'}` (incremental
 * sync, long-deleted events); such a stub says "gone" but cannot be placed in time.
 */
export function isDeletedStub(raw: unknown): boolean {
  const event = read.object(raw, 'event');
  return event.status === 'cancelled' && (event.start === undefined || event.end === undefined);
}

/**
 * An event's private extended properties (`extendedProperties.private`), e.g. what the hub stamped
 * on it; `{}` when it has none. `raw` may be a partial response (`fields=extendedProperties`).
 */
export function toPrivateProperties(raw: unknown, id: string): Record<string, string> {
  const what = `event ${id}.extendedProperties`;
  const event = read.object(raw ?? {}, `event ${id}`);
  const props = read.object(event.extendedProperties ?? {}, what);
  const privateProps = read.object(props.private ?? {}, `${what}.private`);
  return Object.fromEntries(
    Object.keys(privateProps).map((key) => [key, read.string(privateProps, key, `${what}.private`)]),
  );
}

/** `calendarZone` is used for all-day events whose start or end names no time zone of its own. */
export function toCalendarEvent(raw: unknown, calendarZone: string | undefined): CalendarEvent {
  const event = read.object(raw, 'event');
  const id = read.string(event, 'id', 'event');
  const what = `event ${id}`;
  const rawStatus = event.status ?? 'confirmed';
  const status = typeof rawStatus === 'string' ? STATUSES[rawStatus] : undefined;
  if (!status) return unexpected(`${what}.status is ${JSON.stringify(rawStatus)}`);
  const attendees = read.array(event.attendees ?? [], `${what}.attendees`);
  const privateProps = read.object(
    read.object(event.extendedProperties ?? {}, `${what}.extendedProperties`).private ?? {},
    `${what}.extendedProperties.private`,
  );
  return {
    source: 'google_calendar',
    externalId: id,
    status,
    title: read.optionalString(event, 'summary') ?? '',
    start: eventTime(event.start, `${what}.start`, calendarZone),
    end: eventTime(event.end, `${what}.end`, calendarZone),
    location: read.optionalString(event, 'location'),
    attendeeEmails: attendees
      .map((a, i) => read.optionalString(read.object(a, `${what}.attendees[${i}]`), 'email'))
      .filter((email): email is string => email !== null),
    serviceCode: read.optionalString(privateProps, 'serviceCode'),
    createdAt: read.optionalDate(event.created),
    updatedAt: read.date(event.updated, `${what}.updated`),
    etag: read.optionalString(event, 'etag'),
    url: read.optionalString(event, 'htmlLink'),
  };
}

function eventTime(value: unknown, what: string, calendarZone: string | undefined): Date {
  const time = read.object(value, what);
  if (typeof time.dateTime === 'string') return read.date(time.dateTime, `${what}.dateTime`);
  const day = read.string(time, 'date', what);
  const zone = read.optionalString(time, 'timeZone') ?? calendarZone ?? 'UTC';
  return startOfDay(day, zone) ?? unexpected(`${what}.date ${JSON.stringify(day)} is not a day in ${zone}`);
}

function unexpected(message: string): never {
  throw new SourceError(
    'google_calendar',
    'UPSTREAM_ERROR',
    `google_calendar sent an unexpected response: ${message}`,
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone's wall clock is ahead of UTC at `ms`. */
function zoneOffset(ms: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day, part.hour, part.minute, part.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * An all-day event covers the whole local day in its zone, so its instant is local midnight there
 * (2026-07-01 in Europe/London is 2026-06-30T23:00Z). Null for a malformed date or unknown zone.
 */
export function startOfDay(day: string, zone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const midnightUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  try {
    // The offset at the guess can differ from the offset at the answer across a DST change.
    const first = midnightUtc - zoneOffset(midnightUtc, zone);
    return new Date(midnightUtc - zoneOffset(first, zone));
  } catch {
    return null;
  }
}

/**
 * The busy periods freebusy.query gives for one calendar. Google reports a calendar it cannot read
 * inside the 200 answer (`calendars.<id>.errors`, e.g. `notFound`), so that becomes the call's error.
 */
export function toBusyPeriods(raw: unknown, calendarId: string): Array<{ from: Date; to: Date }> {
  const body = read.object(raw, 'freeBusy response');
  const calendars = read.object(body.calendars ?? {}, 'freeBusy calendars');
  const entry = calendars[calendarId] ?? Object.values(calendars)[0];
  const calendar = read.object(entry, `freeBusy calendars.${calendarId}`);
  const errors = read.array(calendar.errors ?? [], 'freeBusy calendar errors');
  if (errors.length > 0) {
    const reason = read.optionalString(read.object(errors[0], 'freeBusy error'), 'reason') ?? 'unknown';
    throw new SourceError(
      'google_calendar',
      reason === 'notFound' ? 'NOT_FOUND' : 'UPSTREAM_ERROR',
      `google_calendar cannot read the free/busy of calendar ${calendarId}: ${reason}`,
      { vendorCode: reason, operation: 'freebusy.query', retryable: reason !== 'notFound' },
    );
  }
  return read
    .array(calendar.busy ?? [], 'freeBusy busy')
    .map((period) => {
      const p = read.object(period, 'busy period');
      return { from: read.date(p.start, 'busy.start'), to: read.date(p.end, 'busy.end') };
    })
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}
