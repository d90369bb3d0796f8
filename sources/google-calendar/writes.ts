import type { CalendarEvent } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CalendarWrites, EventInput } from '../../src/domain/ports.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { EVENT_FIELDS, isDeletedStub, toCalendarEvent, toPrivateProperties } from './mappers.ts';

/**
 * The writes of the Google Calendar connector. Google has no idempotency header: the idempotency key
 * of an insert is the event id the client chooses. An id stays taken once used, deleted events
 * included, so a retried insert whose first answer was lost gets 409 `duplicate` and the event it
 * created is fetched and returned instead. Patch and delete are idempotent by nature.
 * https://developers.google.com/calendar/api/v3/reference/events/insert
 *
 * A tentative event (`status: "tentative"`) pencils a slot in: it still blocks the time (free/busy
 * counts every event that is not cancelled or `transparency: transparent`), and `confirmEvent`
 * turns it into a confirmed one.
 */

interface WritesContext {
  client: UpstreamClient;
  /** `/calendar/v3/calendars/{calendarId}/events`, the calendar id encoded. */
  eventsPath: string;
  /** The calendar's time zone, sent with every start and end; UTC when unknown. */
  timeZone: string | undefined;
}

/** How many times `confirmEvent` reads again when the event changed between its read and its patch. */
const CONFIRM_ATTEMPTS = 3;

/** The hub's statuses for a new event as Google's `status` values. */
const INSERT_STATUS: Record<NonNullable<EventInput['status']>, string> = {
  CONFIRMED: 'confirmed',
  TENTATIVE: 'tentative',
};

/** "The ID must be between 5 and 1024 characters", base32hex: lowercase a–v and digits 0–9. */
export const EVENT_ID = /^[a-v0-9]{5,1024}$/;

function invalid(operation: string, message: string): SourceError {
  return new SourceError('google_calendar', 'INVALID_REQUEST', `google_calendar ${operation}: ${message}`, {
    operation,
  });
}

function checkId(id: string, operation: string): void {
  if (typeof id !== 'string' || !EVENT_ID.test(id)) {
    throw invalid(
      operation,
      `event id ${JSON.stringify(id)} is not valid: Google takes base32hex (a–v, 0–9), 5 to 1024 characters`,
    );
  }
}

function checkTime(value: Date, what: string, operation: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(operation, `${what} is not a valid date`);
  }
}

export function createGoogleCalendarWrites(context: WritesContext): CalendarWrites {
  const { client, eventsPath } = context;
  const zone = context.timeZone ?? 'UTC';
  const eventPath = (id: string) => `${eventsPath}/${encodeURIComponent(id)}`;
  /** A timed start or end: the instant in UTC (`Z`), plus the zone Google shows it in. */
  const time = (value: Date) => ({ dateTime: value.toISOString(), timeZone: zone });
  const toEvent = (body: unknown): CalendarEvent => toCalendarEvent(body, context.timeZone);

  /** The event behind a 409: the one an earlier attempt of this very insert created. */
  const existing = async (id: string, signal: AbortSignal | undefined, cause: SourceError) => {
    let body: unknown;
    try {
      // https://developers.google.com/calendar/api/v3/reference/events/get
      const res = await client.request({
        operation: 'events.get',
        method: 'GET',
        path: eventPath(id),
        query: { fields: EVENT_FIELDS },
        signal,
      });
      body = res.body;
    } catch (error) {
      if (!(error instanceof SourceError) || error.code !== 'NOT_FOUND') throw error;
      body = undefined;
    }
    // Deleted long ago and purged: the id stays taken for good, yet there is no event to return.
    // Retrying cannot help, so this is a conflict for the caller to resolve (pick a new id).
    if (body === undefined || isDeletedStub(body)) {
      throw new SourceError(
        'google_calendar',
        'CONFLICT',
        `google_calendar events.insert: event id ${id} is taken by an event that was deleted and can no longer be read`,
        { status: cause.status, vendorCode: cause.vendorCode, operation: 'events.insert', cause },
      );
    }
    return toEvent(body);
  };

  return {
    async createEvent(input: EventInput, options = {}) {
      const operation = 'events.insert';
      checkId(input.id, operation);
      checkTime(input.start, 'start', operation);
      checkTime(input.end, 'end', operation);
      const status = input.status === undefined ? undefined : INSERT_STATUS[input.status];
      if (input.status !== undefined && !status) {
        throw invalid(
          operation,
          `status must be ${Object.keys(INSERT_STATUS).join(' or ')}, got ${JSON.stringify(input.status)}`,
        );
      }
      const privateProps: Record<string, string> = { ...input.properties };
      if (input.serviceCode !== null && input.serviceCode !== undefined) {
        privateProps.serviceCode = input.serviceCode;
      }
      const attendee: Record<string, string> = { email: input.attendee.email };
      if (input.attendee.name) attendee.displayName = input.attendee.name;
      const body: Record<string, unknown> = {
        id: input.id,
        summary: input.title,
        start: time(input.start),
        end: time(input.end),
        attendees: [attendee],
        extendedProperties: { private: privateProps },
      };
      if (input.description !== null && input.description !== undefined) body.description = input.description;
      if (status) body.status = status;
      try {
        // https://developers.google.com/calendar/api/v3/reference/events/insert
        const res = await client.request({
          operation,
          method: 'POST',
          path: eventsPath,
          query: { fields: EVENT_FIELDS },
          body,
          signal: options.signal,
        });
        return toEvent(res.body);
      } catch (error) {
        // 409 `duplicate`: an earlier attempt created it (its answer was lost). A cancelled event is
        // returned as it is (CANCELLED): re-creating it is not this method's call to make.
        if (error instanceof SourceError && error.status === 409) {
          return existing(input.id, options.signal, error);
        }
        throw error;
      }
    },

    async moveEvent(id, window, options = {}) {
      const operation = 'events.patch';
      checkTime(window.from, 'from', operation);
      checkTime(window.to, 'to', operation);
      // https://developers.google.com/calendar/api/v3/reference/events/patch
      // 404 (never existed) and 410 (deleted and purged) map to NOT_FOUND in toGoogleCalendarError.
      const res = await client.request({
        operation,
        method: 'PATCH',
        path: eventPath(id),
        query: { fields: EVENT_FIELDS },
        body: { start: time(window.from), end: time(window.to) },
        signal: options.signal,
      });
      return toEvent(res.body);
    },

    async confirmEvent(id, options = {}) {
      const operation = 'events.patch';
      checkId(id, operation);
      let lastConflict: SourceError | undefined;
      for (let attempt = 0; attempt < CONFIRM_ATTEMPTS; attempt++) {
        // https://developers.google.com/calendar/api/v3/reference/events/get
        const current = await client.request({
          operation: 'events.get',
          method: 'GET',
          path: eventPath(id),
          query: { fields: EVENT_FIELDS },
          signal: options.signal,
        });
        // A cancelled event is not confirmed back: a patch to `confirmed` would restore a booking
        // that was called off. That is for the caller to decide, so the conflict is not retryable.
        if (isDeletedStub(current.body) || toEvent(current.body).status === 'CANCELLED') {
          throw new SourceError(
            'google_calendar',
            'CONFLICT',
            `google_calendar ${operation}: event ${id} was cancelled; a cancelled event is not confirmed`,
            { operation, retryable: false },
          );
        }
        const event = toEvent(current.body);
        if (event.status === 'CONFIRMED') return event;
        try {
          // https://developers.google.com/calendar/api/v3/reference/events/patch
          // If-Match: the patch applies only to the event as just read, so an event cancelled in
          // between answers 412 instead of being brought back; 412 means read it again.
          const res = await client.request({
            operation,
            method: 'PATCH',
            path: eventPath(id),
            query: { fields: EVENT_FIELDS },
            headers: event.etag ? { 'if-match': event.etag } : {},
            body: { status: 'confirmed' },
            signal: options.signal,
          });
          return toEvent(res.body);
        } catch (error) {
          if (!(error instanceof SourceError) || error.status !== 412) throw error;
          lastConflict = error;
        }
      }
      throw lastConflict!;
    },

    async cancelEvent(id, options = {}) {
      try {
        // https://developers.google.com/calendar/api/v3/reference/events/delete
        // 204 No Content on success.
        await client.request({
          operation: 'events.delete',
          method: 'DELETE',
          path: eventPath(id),
          signal: options.signal,
        });
      } catch (error) {
        // 410 `deleted`: already cancelled (a retry, or someone else got there first); 404: nothing to
        // cancel. Either way the event is not on the calendar, which is what the caller asked for.
        if (error instanceof SourceError && (error.status === 404 || error.status === 410)) return;
        throw error;
      }
    },

    async eventProperties(id, options = {}) {
      // https://developers.google.com/calendar/api/v3/reference/events/get
      const res = await client.request({
        operation: 'events.get',
        method: 'GET',
        path: eventPath(id),
        query: { fields: 'extendedProperties' },
        signal: options.signal,
      });
      return toPrivateProperties(res.body, id);
    },
  };
}
