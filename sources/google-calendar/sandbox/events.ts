import type { Attendee, CalendarStore, EventData, EventTime, Reminders, StoredEvent } from './state.ts';
import { errors, fail } from './wire.ts';
import { formatInZone, isTimeZone, parseDate, parseDateTime, rfc3339Utc, zonedToUtc } from './time.ts';
import { localToUtcWithOffset } from './time.ts';

/**
 * The Event resource: validating what clients write and rendering what Google returns.
 * https://developers.google.com/calendar/api/v3/reference/events
 */

export const EVENT_ID = /^[a-v0-9]{5,1024}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fields a client may write; everything else in a body (kind, etag, creator, ...) is ignored, as Google does. */
const WRITABLE = [
  'status',
  'summary',
  'description',
  'location',
  'colorId',
  'start',
  'end',
  'transparency',
  'visibility',
  'attendees',
  'guestsCanInviteOthers',
  'guestsCanModify',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'extendedProperties',
  'reminders',
  'source',
  'recurrence',
  'sequence',
] as const;

export function writableFields(body: Json): Json {
  const out: Json = {};
  for (const key of WRITABLE) if (body[key] !== undefined) out[key] = body[key];
  return out;
}

/** The writable fields of a stored event, as a client would send them back (the base of a patch). */
export function currentFields(event: StoredEvent): Json {
  return JSON.parse(JSON.stringify({ ...event.data, sequence: event.sequence })) as Json;
}

/**
 * PATCH semantics: objects merge field by field, arrays and scalars replace, `null` clears.
 * https://developers.google.com/calendar/api/guides/performance#patch
 */
export function mergePatch(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = mergePatch(out[key] as Json, value);
    else out[key] = value;
  }
  return out;
}

const optionalString = (body: Json, key: string): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(errors.invalid(`Invalid value for field '${key}': expected a string.`));
  return v;
};

const optionalBoolean = (body: Json, key: string): boolean | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(errors.invalid(`Invalid value for field '${key}': expected a boolean.`));
  return v;
};

const oneOf = <T extends string>(body: Json, key: string, allowed: readonly T[]): T | undefined => {
  const v = optionalString(body, key);
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) fail(errors.invalid(`Invalid value for field '${key}': "${v}".`));
  return v as T;
};

interface ResolvedTime {
  time: EventTime;
  ms: number;
  allDay: boolean;
}

function resolveTime(value: unknown, which: 'start' | 'end', calendarZone: string): ResolvedTime {
  if (value === undefined || value === null) fail(errors.required(`Missing ${which} time.`));
  if (!isObject(value)) fail(errors.invalid(`Invalid ${which} time.`));
  const timeZone = optionalString(value, 'timeZone');
  if (timeZone !== undefined && !isTimeZone(timeZone))
    fail(errors.invalid(`Invalid time zone definition for ${which} time.`));
  const dateTime = optionalString(value, 'dateTime');
  const date = optionalString(value, 'date');
  if (dateTime !== undefined && date !== undefined) fail(errors.invalid(`Invalid ${which} time.`));
  if (date !== undefined) {
    const local = parseDate(date);
    if (!local) fail(errors.invalid(`Invalid ${which} time.`));
    return {
      time: { date, ...(timeZone ? { timeZone } : {}) },
      ms: zonedToUtc(local, timeZone ?? calendarZone),
      allDay: true,
    };
  }
  if (dateTime === undefined) fail(errors.required(`Missing ${which} time.`));
  const parsed = parseDateTime(dateTime);
  if (!parsed) fail(errors.invalid(`Invalid ${which} time.`));
  if (parsed.offsetMinutes === undefined && timeZone === undefined)
    fail(errors.required(`Missing time zone definition for ${which} time.`));
  const ms =
    parsed.offsetMinutes !== undefined
      ? localToUtcWithOffset(parsed.local, parsed.offsetMinutes)
      : zonedToUtc(parsed.local, timeZone as string);
  return { time: { dateTime, ...(timeZone ? { timeZone } : {}) }, ms, allDay: false };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RESPONSE_STATUS = ['needsAction', 'declined', 'tentative', 'accepted'] as const;

function attendeesFrom(value: unknown): Attendee[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(errors.invalid("Invalid value for field 'attendees': expected a list."));
  return value.map((entry: unknown) => {
    if (!isObject(entry)) fail(errors.invalid('Invalid attendee.'));
    const email = optionalString(entry, 'email');
    if (email === undefined || email.trim() === '') fail(errors.required('Missing attendee email.'));
    if (!EMAIL.test(email.trim())) fail(errors.invalid('Invalid attendee email.'));
    const extraGuests = entry.additionalGuests;
    if (extraGuests !== undefined && (!Number.isInteger(extraGuests) || (extraGuests as number) < 0))
      fail(errors.invalid("Invalid value for field 'additionalGuests'."));
    const attendee: Attendee = {
      email: email.trim(),
      responseStatus: oneOf(entry, 'responseStatus', RESPONSE_STATUS) ?? 'needsAction',
    };
    const displayName = optionalString(entry, 'displayName');
    if (displayName !== undefined) attendee.displayName = displayName;
    const optional = optionalBoolean(entry, 'optional');
    if (optional !== undefined) attendee.optional = optional;
    const comment = optionalString(entry, 'comment');
    if (comment !== undefined) attendee.comment = comment;
    if (extraGuests !== undefined) attendee.additionalGuests = extraGuests as number;
    return attendee;
  });
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(errors.invalid(`Invalid value for field '${field}'.`));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue; // a patch clears one property with null
    if (typeof v !== 'string')
      fail(errors.invalid(`Invalid value for field '${field}.${k}': expected a string.`));
    out[k] = v;
  }
  return out;
}

function remindersFrom(value: unknown): Reminders {
  if (value === undefined || value === null) return { useDefault: true };
  if (!isObject(value)) fail(errors.invalid("Invalid value for field 'reminders'."));
  const overridesRaw = value.overrides;
  const overrides =
    overridesRaw === undefined || overridesRaw === null
      ? undefined
      : Array.isArray(overridesRaw)
        ? overridesRaw.map((o: unknown) => {
            if (!isObject(o)) fail(errors.invalid('Invalid reminder override.'));
            const method = oneOf(o, 'method', ['email', 'popup'] as const);
            const minutes = o.minutes;
            if (!method) fail(errors.required('Missing reminder method.'));
            if (!Number.isInteger(minutes) || (minutes as number) < 0 || (minutes as number) > 40_320)
              fail(errors.invalid('Invalid reminder minutes.'));
            return { method, minutes: minutes as number };
          })
        : fail(errors.invalid("Invalid value for field 'reminders.overrides'."));
  const useDefault = optionalBoolean(value, 'useDefault') ?? false;
  if (useDefault && overrides && overrides.length > 0) {
    fail(errors.invalid('Cannot specify both default reminders and overrides at the same time.'));
  }
  return overrides && overrides.length > 0 ? { useDefault, overrides } : { useDefault };
}

export interface ValidatedEvent {
  data: EventData;
  startMs: number;
  endMs: number;
  sequence?: number;
}

/** Validates a complete set of writable fields (an insert, an update, or a patch merged onto the event). */
export function validateEvent(body: Json, calendarZone: string): ValidatedEvent {
  if (Array.isArray(body.recurrence) && body.recurrence.length > 0) {
    fail(errors.invalid('Recurring events are not supported by the Switchboard sandbox.', 'recurrence'));
  }
  const start = resolveTime(body.start, 'start', calendarZone);
  const end = resolveTime(body.end, 'end', calendarZone);
  if (start.allDay !== end.allDay)
    fail(errors.invalid('Start and end times must either both be date or both be dateTime.'));
  if (end.ms < start.ms) fail(errors.timeRangeEmpty());

  const data: EventData = {
    status: oneOf(body, 'status', ['confirmed', 'tentative', 'cancelled'] as const) ?? 'confirmed',
    start: start.time,
    end: end.time,
    reminders: remindersFrom(body.reminders),
  };
  for (const key of ['summary', 'description', 'location', 'colorId'] as const) {
    const v = optionalString(body, key);
    if (v !== undefined) data[key] = v;
  }
  const transparency = oneOf(body, 'transparency', ['opaque', 'transparent'] as const);
  if (transparency) data.transparency = transparency;
  const visibility = oneOf(body, 'visibility', ['default', 'public', 'private', 'confidential'] as const);
  if (visibility) data.visibility = visibility;
  for (const key of [
    'guestsCanInviteOthers',
    'guestsCanModify',
    'guestsCanSeeOtherGuests',
    'anyoneCanAddSelf',
  ] as const) {
    const v = optionalBoolean(body, key);
    if (v !== undefined) data[key] = v;
  }
  const attendees = attendeesFrom(body.attendees);
  if (attendees) data.attendees = attendees;
  if (body.extendedProperties !== undefined && body.extendedProperties !== null) {
    if (!isObject(body.extendedProperties))
      fail(errors.invalid("Invalid value for field 'extendedProperties'."));
    const priv = stringMap(body.extendedProperties.private, 'extendedProperties.private');
    const shared = stringMap(body.extendedProperties.shared, 'extendedProperties.shared');
    if (priv || shared)
      data.extendedProperties = { ...(priv ? { private: priv } : {}), ...(shared ? { shared } : {}) };
  }
  if (body.source !== undefined && body.source !== null) {
    if (!isObject(body.source)) fail(errors.invalid("Invalid value for field 'source'."));
    const url = optionalString(body.source, 'url');
    if (!url) fail(errors.required('Missing source url.'));
    const title = optionalString(body.source, 'title');
    data.source = { url, ...(title !== undefined ? { title } : {}) };
  }
  let sequence: number | undefined;
  if (body.sequence !== undefined && body.sequence !== null) {
    if (!Number.isInteger(body.sequence) || (body.sequence as number) < 0)
      fail(errors.invalid("Invalid value for field 'sequence'."));
    sequence = body.sequence as number;
  }
  return { data, startMs: start.ms, endMs: end.ms, sequence };
}

/**
 * The sequence after a change: a client may raise it but never lower it, and Google raises it
 * itself when the time or the status changes (iCalendar's "significant" changes).
 */
export function nextSequence(previous: StoredEvent, next: ValidatedEvent): number {
  if (next.sequence !== undefined && next.sequence < previous.sequence) {
    fail(
      errors.invalid(
        'Invalid sequence value. The specified sequence number is below the current sequence number of the resource.',
      ),
    );
  }
  const significant =
    previous.startMs !== next.startMs ||
    previous.endMs !== next.endMs ||
    previous.data.status !== next.data.status;
  const requested = next.sequence ?? previous.sequence;
  return significant && requested === previous.sequence ? requested + 1 : requested;
}

const htmlLink = (id: string, calendarId: string) =>
  `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendarId}`).toString('base64').replace(/=+$/, '')}`;

function renderTime(time: EventTime, ms: number, zone: string): EventTime {
  if (time.date !== undefined)
    return { date: time.date, ...(time.timeZone ? { timeZone: time.timeZone } : {}) };
  return { dateTime: formatInZone(ms, zone), ...(time.timeZone ? { timeZone: time.timeZone } : {}) };
}

/** The Event resource as Google returns it; `zone` is the calendar's or the request's `timeZone`. */
/**
 * Rendered events per etag and zone: every write changes the etag, so an entry never goes stale,
 * and a 2,500-event listing stops re-rendering (and re-formatting every time in its zone) on each call.
 * Callers must not mutate what they get.
 */
const rendered = new WeakMap<StoredEvent, { key: string; json: Json }>();

export function eventToWire(store: CalendarStore, event: StoredEvent, zone = store.timeZone): Json {
  const key = `${event.etag}|${zone}|${store.calendarId}`;
  const hit = rendered.get(event);
  if (hit?.key === key) return hit.json;
  const json = renderEvent(store, event, zone);
  rendered.set(event, { key, json });
  return json;
}

function renderEvent(store: CalendarStore, event: StoredEvent, zone: string): Json {
  const d = event.data;
  const self = { email: store.calendarId, displayName: store.summary, self: true };
  const out: Json = {
    kind: 'calendar#event',
    etag: event.etag,
    id: event.id,
    status: d.status,
    htmlLink: htmlLink(event.id, store.calendarId),
    created: rfc3339Utc(event.created),
    updated: rfc3339Utc(event.updated),
    summary: d.summary,
    description: d.description,
    location: d.location,
    colorId: d.colorId,
    creator: self,
    organizer: self,
    start: renderTime(d.start, event.startMs, zone),
    end: renderTime(d.end, event.endMs, zone),
    transparency: d.transparency,
    visibility: d.visibility,
    iCalUID: event.iCalUID,
    sequence: event.sequence,
    attendees: d.attendees && d.attendees.length > 0 ? d.attendees : undefined,
    guestsCanInviteOthers: d.guestsCanInviteOthers,
    guestsCanModify: d.guestsCanModify,
    guestsCanSeeOtherGuests: d.guestsCanSeeOtherGuests,
    anyoneCanAddSelf: d.anyoneCanAddSelf,
    extendedProperties: d.extendedProperties,
    reminders: d.reminders,
    source: d.source,
    eventType: 'default',
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}
