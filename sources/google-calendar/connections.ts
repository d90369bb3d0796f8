import type { VendorConnections } from '../../src/domain/connections.ts';
import { GOOGLE_CALENDAR_LIMITS } from './limits.ts';

const EVENTS = '/calendar/v3/calendars/{calendarId}/events';
const docs = (method: string) => `https://developers.google.com/calendar/api/v3/reference/events/${method}`;
const time = (end: 'start' | 'end') => ({
  from: [`${end}.dateTime`, `${end}.date`, `${end}.timeZone`],
  how: 'the instant; an all-day date is local midnight in its zone (else the calendar’s)',
});

/** How Google Calendar connects (docs/CONNECTIONS.md); paths are checked against `toCalendarEvent`. */
export const googleCalendarConnections: VendorConnections<'calendar'> = {
  records: {
    event: {
      externalId: 'id',
      status: { from: ['status'], how: 'confirmed, tentative, cancelled upper-cased (none: confirmed)' },
      title: 'summary',
      start: time('start'),
      end: time('end'),
      location: 'location',
      attendeeEmails: 'attendees[].email',
      serviceCode: 'extendedProperties.private.serviceCode',
      createdAt: 'created',
      updatedAt: 'updated',
      etag: 'etag',
      url: 'htmlLink',
    },
  },
  reads: [
    {
      call: 'freeBusy',
      requests: [
        {
          method: 'POST',
          path: '/calendar/v3/freeBusy',
          docs: 'https://developers.google.com/calendar/api/v3/reference/freebusy/query',
        },
      ],
      note: 'busy periods of the bookings calendar for `availability` (cached per day window, dropped by calendar webhooks) and, uncached, for the SLOT_TAKEN check of `createBooking`',
    },
  ],
  writes: {
    createEvent: {
      requests: [
        { method: 'POST', path: EVENTS, docs: docs('insert') },
        { method: 'GET', path: `${EVENTS}/{id}`, docs: docs('get') },
      ],
      idempotency:
        'the event id the hub chooses (from the step): a retried insert gets 409 duplicate, and the event the first attempt made is read back',
    },
    moveEvent: {
      requests: [{ method: 'PATCH', path: `${EVENTS}/{id}`, docs: docs('patch') }],
      idempotency: 'a PATCH of absolute start and end: repeating it changes nothing',
    },
    confirmEvent: {
      requests: [
        { method: 'GET', path: `${EVENTS}/{id}`, docs: docs('get') },
        { method: 'PATCH', path: `${EVENTS}/{id}`, docs: docs('patch') },
      ],
      idempotency:
        'reads the event first: one already confirmed is returned as it is; the PATCH of `status: confirmed` carries If-Match with the etag read, so it never restores an event cancelled meanwhile',
    },
    cancelEvent: {
      requests: [{ method: 'DELETE', path: `${EVENTS}/{id}`, docs: docs('delete') }],
      idempotency: 'a delete: 410 (already deleted) and 404 count as done',
    },
  },
  webhooks: {
    subscription:
      'a push channel (events.watch) the hub opens and renews while it has a public URL; notifications carry no data and no signature, only the channel token',
    events: [
      { event: 'sync', changes: [], note: 'the channel opened: nothing to do' },
      {
        event: 'exists',
        changes: ['calendar'],
        note: 'something changed: the hub runs an incremental sync (syncToken) to learn what',
      },
      {
        event: 'not_exists',
        changes: ['calendar'],
        note: 'the watched resource is gone: the sync finds out what that means',
      },
    ],
  },
  limits: [{ when: 'per user', limits: GOOGLE_CALENDAR_LIMITS }],
};
