import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { CalendarStore, StoredEvent } from './state.ts';
import type { PushChannels } from './push.ts';
import { channelToWire } from './push.ts';
import { eventToWire } from './events.ts';
import { fieldsShaper } from './fields.ts';
import { listEvents, parseListQuery } from './list.ts';
import { cancelEvent, changeEvent, insertEvent } from './mutations.ts';
import { queryFreeBusy } from './freebusy.ts';
import { errors, fail } from './wire.ts';
import { isTimeZone, rfc3339Utc } from './time.ts';

type Json = Record<string, unknown>;

const JSON_TYPE = { 'Content-Type': 'application/json; charset=UTF-8' };

/** Bodies are parsed here rather than by the kit, so malformed JSON gets Google's `parseError`. */
function readBody(req: SandboxRequest): Json {
  if (req.rawBody.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    return fail(errors.parseError());
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail(errors.parseError());
  return parsed as Json;
}

/** `If-Match` / `If-None-Match`: a list of etags or `*`; weak prefixes compare equal. */
function etagListMatches(header: string | string[] | undefined, etag: string): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return value.split(',').some((t) => strip(t) === '*' || strip(t) === etag);
}

function responseZone(req: SandboxRequest, store: CalendarStore): string {
  const tz = req.query.get('timeZone');
  if (tz === null) return store.timeZone;
  if (!isTimeZone(tz)) fail(errors.invalidParameter('timeZone', `Invalid time zone: '${tz}'.`));
  return tz;
}

function checkSendUpdates(req: SandboxRequest): void {
  const v = req.query.get('sendUpdates');
  if (v !== null && !['all', 'externalOnly', 'none'].includes(v))
    fail(errors.invalidParameter('sendUpdates', `Invalid value '${v}'.`));
}

export function calendarRoutes(store: CalendarStore, push: PushChannels): Route[] {
  const calendar = (req: SandboxRequest) => {
    if (!store.hasCalendar(req.params.calendarId ?? '')) fail(errors.notFound());
  };
  const eventOf = (req: SandboxRequest): StoredEvent => {
    calendar(req);
    return store.events.get(req.params.eventId ?? '') ?? fail(errors.notFound());
  };
  const ifMatch = (req: SandboxRequest, event: StoredEvent) => {
    if (req.headers['if-match'] !== undefined && !etagListMatches(req.headers['if-match'], event.etag))
      fail(errors.preconditionFailed());
  };
  const single = (
    req: SandboxRequest,
    event: StoredEvent,
    shape: (b: unknown) => unknown,
  ): SandboxResponse => ({
    status: 200,
    headers: { ...JSON_TYPE, ETag: event.etag },
    body: shape(eventToWire(store, event, responseZone(req, store))),
  });
  const lastUpdated = () => Math.max(0, ...[...store.events.values()].map((e) => e.updated));

  const base = '/calendar/v3/calendars/:calendarId';
  /** PATCH merges and PUT replaces; both check the ETag and answer the changed event. */
  const change = (req: SandboxRequest, mode: 'patch' | 'update') => {
    const event = eventOf(req);
    checkSendUpdates(req);
    const shape = fieldsShaper(req.query);
    responseZone(req, store);
    const body = readBody(req);
    ifMatch(req, event);
    return single(req, changeEvent(store, event, body, mode), shape);
  };

  return [
    // https://developers.google.com/calendar/api/v3/reference/calendars/get
    {
      method: 'GET',
      path: base,
      operation: 'calendars.get',
      handler: (req) => {
        calendar(req);
        const shape = fieldsShaper(req.query);
        return {
          status: 200,
          headers: JSON_TYPE,
          body: shape({
            kind: 'calendar#calendar',
            etag: `"${lastUpdated()}"`,
            id: store.calendarId,
            summary: store.summary,
            timeZone: store.timeZone,
            conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
          }),
        };
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/events/list
    {
      method: 'GET',
      path: `${base}/events`,
      operation: 'events.list',
      handler: (req) => {
        calendar(req);
        const shape = fieldsShaper(req.query);
        const query = parseListQuery(req.query);
        const zone = query.timeZone ?? store.timeZone;
        const page = listEvents(store, query, req.query);
        const updated = lastUpdated();
        const body: Json = {
          kind: 'calendar#events',
          etag: `"${updated}${String(store.version % 1000).padStart(3, '0')}"`,
          summary: store.summary,
          updated: rfc3339Utc(updated),
          timeZone: zone,
          accessRole: 'owner',
          defaultReminders: [],
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          ...(page.nextSyncToken ? { nextSyncToken: page.nextSyncToken } : {}),
          items: page.items.map((e) => eventToWire(store, e, zone)),
        };
        return { status: 200, headers: JSON_TYPE, body: shape(body) };
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/events/insert
    {
      method: 'POST',
      path: `${base}/events`,
      operation: 'events.insert',
      handler: (req) => {
        calendar(req);
        checkSendUpdates(req);
        const shape = fieldsShaper(req.query);
        responseZone(req, store);
        return single(req, insertEvent(store, readBody(req)), shape);
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/events/watch
    {
      method: 'POST',
      path: `${base}/events/watch`,
      operation: 'events.watch',
      handler: (req) => {
        calendar(req);
        const uri = `${req.url.origin}/calendar/v3/calendars/${encodeURIComponent(req.params.calendarId ?? '')}/events?alt=json`;
        const channel = push.watch(readBody(req), uri);
        return { status: 200, headers: JSON_TYPE, body: channelToWire(channel) };
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/events/get
    {
      method: 'GET',
      path: `${base}/events/:eventId`,
      operation: 'events.get',
      handler: (req) => {
        const event = eventOf(req);
        const shape = fieldsShaper(req.query);
        if (etagListMatches(req.headers['if-none-match'], event.etag)) {
          return { status: 304, headers: { ETag: event.etag } };
        }
        return single(req, event, shape);
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/events/patch
    {
      method: 'PATCH',
      path: `${base}/events/:eventId`,
      operation: 'events.patch',
      handler: (req) => change(req, 'patch'),
    },
    // https://developers.google.com/calendar/api/v3/reference/events/update
    {
      method: 'PUT',
      path: `${base}/events/:eventId`,
      operation: 'events.update',
      handler: (req) => change(req, 'update'),
    },
    // https://developers.google.com/calendar/api/v3/reference/events/delete
    {
      method: 'DELETE',
      path: `${base}/events/:eventId`,
      operation: 'events.delete',
      handler: (req) => {
        const event = eventOf(req);
        checkSendUpdates(req);
        ifMatch(req, event);
        cancelEvent(store, event);
        return { status: 204 };
      },
    },
    // https://developers.google.com/calendar/api/v3/reference/freebusy/query
    {
      method: 'POST',
      path: '/calendar/v3/freeBusy',
      operation: 'freebusy.query',
      handler: (req) => ({ status: 200, headers: JSON_TYPE, body: queryFreeBusy(store, readBody(req)) }),
    },
    // https://developers.google.com/calendar/api/v3/reference/channels/stop
    {
      method: 'POST',
      path: '/calendar/v3/channels/stop',
      operation: 'channels.stop',
      handler: (req) => {
        push.stop(readBody(req));
        return { status: 204 };
      },
    },
  ];
}
