import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/domain/ports.ts';
import { generateBusiness, type SeedBooking } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './sandbox/server.ts';
import {
  createGoogleCalendarSource,
  type GoogleCalendarConfig,
  type GoogleCalendarSource,
} from './source.ts';
import { failure } from '../../test/support/failure.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now: NOW });

let sandbox: VendorSandbox;
let source: GoogleCalendarSource;
const opened: GoogleCalendarSource[] = [];

function connect(overrides: Partial<GoogleCalendarConfig> = {}): GoogleCalendarSource {
  const created = createGoogleCalendarSource({
    baseUrl: sandbox.url,
    accessToken: sandbox.credentials.accessToken as string,
    calendarId: sandbox.credentials.calendarId as string,
    timeZone: business.timeZone,
    ...overrides,
  } as GoogleCalendarConfig);
  opened.push(created);
  return created;
}

async function admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

interface Logged {
  method: string;
  operation: string;
  status: number;
  query: string;
}
const requests = async () =>
  (await admin('GET', 'requests')) as {
    total: number;
    byOperation: Record<string, number>;
    entries: Logged[];
  };
/**
 * What the connector sent, in order. The tests' own checks authenticate with `?access_token=`
 * (the connector uses the header), which tells them apart in the sandbox's request log.
 */
const sent = async () =>
  (await requests()).entries
    .filter((e) => !e.query.includes('access_token='))
    .map((e) => `${e.operation} ${e.status}`);
const fault = (rule: Record<string, unknown>) => admin('POST', 'faults', rule);

/** Google's own API, read directly (not through the connector), to check what a write did. */
async function google(path: string, query: Record<string, string | string[]> = {}) {
  const params = new URLSearchParams({ access_token: sandbox.credentials.accessToken as string });
  for (const [k, v] of Object.entries(query)) for (const one of [v].flat()) params.append(k, one);
  const calendarId = encodeURIComponent(sandbox.credentials.calendarId as string);
  const res = await fetch(`${sandbox.url}/calendar/v3/calendars/${calendarId}/events${path}?${params}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const rawEvent = async (id: string) => (await google(`/${id}`)).body;
/** Every event carrying this bookingRef, deleted ones included. */
async function eventsWithRef(bookingRef: string): Promise<Array<Record<string, unknown>>> {
  const { body } = await google('', {
    privateExtendedProperty: `bookingRef=${bookingRef}`,
    showDeleted: 'true',
  });
  return body.items as Array<Record<string, unknown>>;
}

const input = (overrides: Partial<EventInput> = {}): EventInput => ({
  id: 'sbbooking0001',
  title: 'Sports massage — Ada Lovelace',
  start: new Date('2026-12-01T10:00:00Z'),
  end: new Date('2026-12-01T11:00:00Z'),
  attendee: { email: 'ada@example.com', name: 'Ada Lovelace' },
  serviceCode: 'SPORTS-60',
  description: 'Booked through Switchboard',
  properties: { bookingRef: 'bk_test_1', depositOrderId: 'pi_123', switchboardCustomerId: 'cus_sb_1' },
  ...overrides,
});

const confirmedBooking = () => business.bookings.find((b) => b.status === 'confirmed') as SeedBooking;

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ business });
  source = connect();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await sandbox.close();
});
beforeEach(async () => {
  await admin('POST', 'reset');
  await admin('DELETE', 'faults');
  await admin('DELETE', 'requests');
});

describe('createEvent', () => {
  it('inserts the event with the client-chosen id and maps the answer', async () => {
    const event = await source.createEvent(input());

    expect(event).toMatchObject({
      source: 'google_calendar',
      externalId: 'sbbooking0001',
      status: 'CONFIRMED',
      title: 'Sports massage — Ada Lovelace',
      start: new Date('2026-12-01T10:00:00Z'),
      end: new Date('2026-12-01T11:00:00Z'),
      attendeeEmails: ['ada@example.com'],
      serviceCode: 'SPORTS-60',
    });
    expect(event.etag).toMatch(/^"\d+"$/);
    expect(event.url).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    expect(event.createdAt).toBeInstanceOf(Date);

    const stored = await rawEvent('sbbooking0001');
    expect(stored).toMatchObject({
      id: 'sbbooking0001',
      status: 'confirmed',
      summary: 'Sports massage — Ada Lovelace',
      description: 'Booked through Switchboard',
      start: { timeZone: 'Europe/London' },
      end: { timeZone: 'Europe/London' },
      attendees: [{ email: 'ada@example.com', displayName: 'Ada Lovelace' }],
      extendedProperties: {
        private: {
          bookingRef: 'bk_test_1',
          depositOrderId: 'pi_123',
          switchboardCustomerId: 'cus_sb_1',
          serviceCode: 'SPORTS-60',
        },
      },
    });
    expect(new Date((stored.start as { dateTime: string }).dateTime)).toEqual(input().start);
    expect(new Date((stored.end as { dateTime: string }).dateTime)).toEqual(input().end);
    expect(await sent()).toEqual(['events.insert 200']);
  });

  it('leaves out what the input does not have, and uses UTC without a calendar zone', async () => {
    const zoneless = connect({ timeZone: undefined });
    await zoneless.createEvent(
      input({ serviceCode: null, description: null, attendee: { email: 'ada@example.com', name: null } }),
    );
    const stored = await rawEvent('sbbooking0001');
    expect(stored.description).toBeUndefined();
    expect(stored.attendees).toEqual([{ email: 'ada@example.com', responseStatus: 'needsAction' }]);
    expect(stored.extendedProperties).toEqual({
      private: { bookingRef: 'bk_test_1', depositOrderId: 'pi_123', switchboardCustomerId: 'cus_sb_1' },
    });
    expect(stored.start).toMatchObject({ timeZone: 'UTC' });
  });

  it('a retry with the same id returns the same event and creates nothing', async () => {
    const first = await source.createEvent(input());
    const again = await source.createEvent(input());

    expect(again).toEqual(first);
    expect(await eventsWithRef('bk_test_1')).toHaveLength(1);
    expect(await sent()).toEqual(['events.insert 200', 'events.insert 409', 'events.get 200']);
  });

  it('a 503 after Google inserted (answer lost), then a retry: exactly one event', async () => {
    await fault({ status: 503, phase: 'after', times: 1, operations: ['events.insert'] });
    const error = await failure(source.createEvent(input()));
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });

    const event = await source.createEvent(input());
    expect(event).toMatchObject({
      externalId: 'sbbooking0001',
      status: 'CONFIRMED',
      serviceCode: 'SPORTS-60',
    });

    const stored = await eventsWithRef('bk_test_1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: 'sbbooking0001', etag: event.etag });
    expect(await sent()).toEqual(['events.insert 503', 'events.insert 409', 'events.get 200']);
  });

  it('a dropped connection after the insert, then a retry: exactly one event', async () => {
    await fault({ drop: true, phase: 'after', times: 1, operations: ['events.insert'] });
    const error = await failure(source.createEvent(input()));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });

    const event = await source.createEvent(input());
    expect(event.externalId).toBe('sbbooking0001');
    expect(await eventsWithRef('bk_test_1')).toHaveLength(1);
  });

  it('a 503 before Google saw it: nothing created, the retry creates it', async () => {
    await fault({ status: 503, times: 1, operations: ['events.insert'] });
    expect(await failure(source.createEvent(input()))).toMatchObject({ retryable: true });
    expect(await eventsWithRef('bk_test_1')).toHaveLength(0);

    await source.createEvent(input());
    expect(await eventsWithRef('bk_test_1')).toHaveLength(1);
    expect(await sent()).toEqual(['events.insert 503', 'events.insert 200']);
  });

  it('returns an event deleted since as it is (CANCELLED), without re-creating it', async () => {
    await source.createEvent(input());
    await source.cancelEvent('sbbooking0001');

    const again = await source.createEvent(input());
    expect(again).toMatchObject({ externalId: 'sbbooking0001', status: 'CANCELLED' });
    const stored = await eventsWithRef('bk_test_1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'cancelled' });
  });

  it('an id taken by an event that can no longer be read → CONFLICT, not retryable', async () => {
    await source.createEvent(input());
    // Google purges long-deleted events: events.get answers 404 although the id stays taken.
    await fault({ status: 404, times: 1, operations: ['events.get'] });
    const error = await failure(source.createEvent(input()));
    expect(error).toMatchObject({
      code: 'CONFLICT',
      retryable: false,
      status: 409,
      vendorCode: 'duplicate',
      operation: 'events.insert',
    });
    expect(error.message).toContain('sbbooking0001');
  });

  it('rejects an id that is not base32hex, 5–1024 characters, before any request', async () => {
    for (const id of ['abcd', 'Booking0001', 'booking-0001', 'bookingw0001', 'a'.repeat(1025), '']) {
      const error = await failure(source.createEvent(input({ id })));
      expect(error, id).toMatchObject({
        code: 'INVALID_REQUEST',
        retryable: false,
        source: 'google_calendar',
      });
    }
    const error = await failure(source.createEvent(input({ start: new Date('nope') })));
    expect(error.code).toBe('INVALID_REQUEST');
    expect((await requests()).total).toBe(0);
    // The limits themselves are fine.
    await source.createEvent(input({ id: 'v0a91' }));
    await source.createEvent(input({ id: 'a'.repeat(1024) }));
  });

  it('a validation error from Google → INVALID_REQUEST with Google’s message, not retryable', async () => {
    const error = await failure(
      source.createEvent(input({ attendee: { email: 'not-an-email', name: 'Ada' } })),
    );
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      status: 400,
      vendorCode: 'invalid',
      operation: 'events.insert',
    });
    expect(error.message).toContain('Invalid attendee email.');

    const backwards = await failure(source.createEvent(input({ start: input().end, end: input().start })));
    expect(backwards).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'timeRangeEmpty' });
    expect(await eventsWithRef('bk_test_1')).toHaveLength(0);
  });

  it('429 → RATE_LIMITED, retryable', async () => {
    await fault({ status: 429, retryAfterSeconds: 2, times: 1, operations: ['events.insert'] });
    expect(await failure(source.createEvent(input()))).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 2000,
    });
  });
});

describe('moveEvent', () => {
  const window = { from: new Date('2026-12-03T14:30:00Z'), to: new Date('2026-12-03T15:30:00Z') };

  it('patches start and end and returns the moved event', async () => {
    const booking = confirmedBooking();
    const before = await rawEvent(booking.ids.googleEventId);
    const moved = await source.moveEvent(booking.ids.googleEventId, window);

    expect(moved).toMatchObject({
      externalId: booking.ids.googleEventId,
      status: 'CONFIRMED',
      start: window.from,
      end: window.to,
      serviceCode: booking.serviceCode,
    });
    const after = await rawEvent(booking.ids.googleEventId);
    expect(new Date((after.start as { dateTime: string }).dateTime)).toEqual(window.from);
    expect(new Date((after.end as { dateTime: string }).dateTime)).toEqual(window.to);
    // A patch: everything else stays.
    expect(after).toMatchObject({
      summary: before.summary,
      attendees: before.attendees,
      extendedProperties: before.extendedProperties,
      sequence: (before.sequence as number) + 1,
    });
    expect(await sent()).toEqual(['events.patch 200']);
  });

  it('is idempotent: a retry after a lost answer lands on the same times', async () => {
    const id = confirmedBooking().ids.googleEventId;
    await fault({ status: 503, phase: 'after', times: 1, operations: ['events.patch'] });
    expect(await failure(source.moveEvent(id, window))).toMatchObject({ retryable: true });
    const moved = await source.moveEvent(id, window);
    expect(moved).toMatchObject({ start: window.from, end: window.to });
    const stored = await rawEvent(id);
    expect(new Date((stored.start as { dateTime: string }).dateTime)).toEqual(window.from);
  });

  it('an unknown event → NOT_FOUND', async () => {
    const error = await failure(source.moveEvent('nosucheventid00000', window));
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false, status: 404 });
  });

  it('a window ending before it starts → INVALID_REQUEST', async () => {
    const id = confirmedBooking().ids.googleEventId;
    const error = await failure(source.moveEvent(id, { from: window.to, to: window.from }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false, vendorCode: 'timeRangeEmpty' });
  });
});

describe('cancelEvent', () => {
  it('deletes the event; Google keeps it as cancelled', async () => {
    const id = confirmedBooking().ids.googleEventId;
    await expect(source.cancelEvent(id)).resolves.toBeUndefined();
    expect(await rawEvent(id)).toMatchObject({ id, status: 'cancelled' });
    const [event] = await source.getEvents([id]);
    expect(event).toMatchObject({ status: 'CANCELLED' });
    expect((await requests()).entries[0]).toMatchObject({ method: 'DELETE', status: 204 });
  });

  it('one already cancelled (410) or unknown (404) counts as done', async () => {
    const cancelled = business.bookings.find((b) => b.status === 'cancelled') as SeedBooking;
    await expect(source.cancelEvent(cancelled.ids.googleEventId)).resolves.toBeUndefined();
    await expect(source.cancelEvent('nosucheventid00000')).resolves.toBeUndefined();
    expect(await sent()).toEqual(['events.delete 410', 'events.delete 404']);
  });

  it('a retry after a lost answer resolves and changes nothing more', async () => {
    const id = confirmedBooking().ids.googleEventId;
    await fault({ status: 503, phase: 'after', times: 1, operations: ['events.delete'] });
    expect(await failure(source.cancelEvent(id))).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    const afterFirst = await rawEvent(id);
    await expect(source.cancelEvent(id)).resolves.toBeUndefined();
    expect(await rawEvent(id)).toMatchObject({ status: 'cancelled', etag: afterFirst.etag });
  });

  it('other failures still reject', async () => {
    const bad = connect({ accessToken: 'ya29.wrong' });
    const error = await failure(bad.cancelEvent(confirmedBooking().ids.googleEventId));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false, status: 401 });
  });
});

describe('eventProperties', () => {
  it('returns the private properties, asking only for them', async () => {
    const booking = confirmedBooking();
    expect(await source.eventProperties(booking.ids.googleEventId)).toEqual({
      bookingRef: booking.key,
      serviceCode: booking.serviceCode,
    });
    const [entry] = (await requests()).entries;
    expect(entry).toMatchObject({ operation: 'events.get', status: 200 });
    expect(new URLSearchParams(entry!.query).get('fields')).toBe('extendedProperties');
  });

  it('returns what createEvent stamped, and {} for an event without any', async () => {
    await source.createEvent(input());
    expect(await source.eventProperties('sbbooking0001')).toEqual({
      ...input().properties,
      serviceCode: 'SPORTS-60',
    });
    const created = await admin('POST', 'actions/create-booking', {
      summary: 'Staff lunch',
      start: { dateTime: '2026-12-02T12:00:00Z' },
      end: { dateTime: '2026-12-02T13:00:00Z' },
    });
    expect(await source.eventProperties((created.event as { id: string }).id)).toEqual({});
  });

  it('an unknown event → NOT_FOUND', async () => {
    expect(await failure(source.eventProperties('nosucheventid00000'))).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
  });
});

describe('tentative events and confirmEvent', () => {
  const tentative = () => input({ id: 'sbtentative01', status: 'TENTATIVE' });

  it('createEvent with TENTATIVE pencils the event in as tentative', async () => {
    const event = await source.createEvent(tentative());
    expect(event).toMatchObject({ externalId: 'sbtentative01', status: 'TENTATIVE' });
    expect(await rawEvent('sbtentative01')).toMatchObject({ status: 'tentative' });
  });

  it('createEvent with CONFIRMED sends confirmed; an unknown status is refused before any request', async () => {
    const event = await source.createEvent(input({ id: 'sbconfirmed01', status: 'CONFIRMED' }));
    expect(event.status).toBe('CONFIRMED');
    expect(await rawEvent('sbconfirmed01')).toMatchObject({ status: 'confirmed' });
    await admin('DELETE', 'requests');
    const error = await failure(source.createEvent(input({ id: 'sbbad000001', status: 'MAYBE' as never })));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect((error as Error).message).toContain('status must be CONFIRMED or TENTATIVE, got "MAYBE"');
    expect(await sent()).toEqual([]);
  });

  it('confirmEvent reads the event and patches it to confirmed with If-Match', async () => {
    const created = await source.createEvent(tentative());
    await admin('DELETE', 'requests');
    const confirmed = await source.confirmEvent('sbtentative01');
    expect(confirmed).toMatchObject({
      externalId: 'sbtentative01',
      status: 'CONFIRMED',
      start: created.start,
    });
    expect(confirmed.etag).not.toBe(created.etag);
    expect(await rawEvent('sbtentative01')).toMatchObject({ status: 'confirmed', sequence: 1 });
    expect(await sent()).toEqual(['events.get 200', 'events.patch 200']);
  });

  it('an event already confirmed is returned as it is, with no patch', async () => {
    const id = confirmedBooking().ids.googleEventId;
    const before = await rawEvent(id);
    const event = await source.confirmEvent(id);
    expect(event).toMatchObject({ externalId: id, status: 'CONFIRMED', etag: before.etag });
    expect(await sent()).toEqual(['events.get 200']);
    expect((await rawEvent(id)).etag).toBe(before.etag);
  });

  it('a retry after a lost answer finds the event confirmed and patches nothing more', async () => {
    await source.createEvent(tentative());
    await fault({ status: 503, phase: 'after', times: 1, operations: ['events.patch'] });
    expect(await failure(source.confirmEvent('sbtentative01'))).toMatchObject({ retryable: true });
    await admin('DELETE', 'requests');
    expect(await source.confirmEvent('sbtentative01')).toMatchObject({ status: 'CONFIRMED' });
    expect(await sent()).toEqual(['events.get 200']);
    expect(await rawEvent('sbtentative01')).toMatchObject({ status: 'confirmed', sequence: 1 });
  });

  it('an event changed between the read and the patch (412) is read again, then confirmed', async () => {
    await source.createEvent(tentative());
    await fault({ status: 412, times: 1, operations: ['events.patch'] });
    await admin('DELETE', 'requests');
    expect(await source.confirmEvent('sbtentative01')).toMatchObject({ status: 'CONFIRMED' });
    expect(await sent()).toEqual([
      'events.get 200',
      'events.patch 412',
      'events.get 200',
      'events.patch 200',
    ]);
  });

  it('an event cancelled between the read and the patch is not brought back (the patch carries If-Match)', async () => {
    await source.createEvent(tentative());
    await fault({ latencyMs: 500, times: 1, operations: ['events.patch'] });
    await admin('DELETE', 'requests');
    const confirming = failure(source.confirmEvent('sbtentative01'));
    // The read is done and the patch held back: the event is cancelled in between.
    while (!(await sent()).includes('events.get 200')) await new Promise((r) => setTimeout(r, 10));
    const cancelled = await admin('POST', 'actions/cancel-booking', { eventId: 'sbtentative01' });
    expect(cancelled.event).toMatchObject({ status: 'cancelled' });
    expect(await confirming).toMatchObject({ code: 'CONFLICT', retryable: false });
    expect(await sent()).toEqual(['events.get 200', 'events.patch 412', 'events.get 200']);
    expect(await rawEvent('sbtentative01')).toMatchObject({ status: 'cancelled' });
  });

  it('a cancelled event is not brought back: CONFLICT, not retryable, and it stays cancelled', async () => {
    await source.createEvent(tentative());
    await source.cancelEvent('sbtentative01');
    const error = await failure(source.confirmEvent('sbtentative01'));
    expect(error).toMatchObject({ code: 'CONFLICT', retryable: false });
    expect((error as Error).message).toContain('was cancelled');
    expect(await rawEvent('sbtentative01')).toMatchObject({ status: 'cancelled' });
  });

  it('an unknown event → NOT_FOUND; a bad id → INVALID_REQUEST before any request', async () => {
    expect(await failure(source.confirmEvent('nosucheventid00000'))).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    await admin('DELETE', 'requests');
    expect(await failure(source.confirmEvent('Not-An-Id'))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await sent()).toEqual([]);
  });
});
