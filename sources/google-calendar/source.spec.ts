import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { CalendarEvent } from '../../src/domain/model.ts';
import { customerAt, generateBusiness, type SeedBooking } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './sandbox/server.ts';
import { toGoogleCalendarError } from './errors.ts';
import { startOfDay, toCalendarEvent } from './mappers.ts';
import {
  createGoogleCalendarSource,
  type GoogleCalendarConfig,
  type GoogleCalendarSource,
} from './source.ts';
import { failure } from '../../test/support/failure.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
const DAY = 86_400_000;
const business = generateBusiness({ now: NOW });
const customers = new Map(business.customers.map((c) => [c.key, c]));
const services = new Map(business.services.map((s) => [s.code, s]));
const bookingsById = new Map(business.bookings.map((b) => [b.ids.googleEventId, b]));

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

const requests = async () =>
  (await admin('GET', 'requests')) as { total: number; byOperation: Record<string, number> };
const fault = (rule: Record<string, unknown>) => admin('POST', 'faults', rule);

/** What the connector should make of a seed booking. */
function expected(booking: SeedBooking): Partial<CalendarEvent> {
  const canonical = customers.get(booking.customerKey);
  const person = canonical && (customerAt(canonical, 'calendar') ?? canonical);
  return {
    source: 'google_calendar',
    externalId: booking.ids.googleEventId,
    status: booking.status.toUpperCase() as CalendarEvent['status'],
    start: booking.start,
    end: booking.end,
    attendeeEmails: person ? [person.email] : [],
    serviceCode: booking.serviceCode,
    createdAt: booking.createdAt,
    updatedAt: booking.updatedAt,
    location: business.name,
  };
}

const overlapping = (from: Date, to: Date) =>
  business.bookings.filter((b) => b.end.getTime() > from.getTime() && b.start.getTime() < to.getTime());

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
  await admin('DELETE', 'requests');
});

describe('listEvents', () => {
  it('returns every seeded event, cancelled ones included, in ONE request', async () => {
    const from = new Date(NOW.getTime() - 100 * DAY);
    const to = new Date(NOW.getTime() + 100 * DAY);
    const events = await source.listEvents({ from, to });

    expect(business.bookings.length).toBeGreaterThan(500);
    expect(events).toHaveLength(business.bookings.length);
    expect(events.some((e) => e.status === 'CANCELLED')).toBe(true);
    expect(events.some((e) => e.status === 'TENTATIVE')).toBe(true);
    for (const event of events) {
      const booking = bookingsById.get(event.externalId);
      expect(booking, event.externalId).toBeDefined();
      expect(event).toMatchObject(expected(booking as SeedBooking));
      expect(event.title).toContain(services.get((booking as SeedBooking).serviceCode)?.name);
      expect(event.etag).toMatch(/^"\d+"$/);
      expect(event.url).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    }
    expect(await requests()).toMatchObject({ total: 1, byOperation: { 'events.list': 1 } });
  });

  it('returns only events overlapping the window', async () => {
    const from = new Date(NOW.getTime() - 7 * DAY);
    const to = new Date(NOW.getTime() + 7 * DAY);
    const events = await source.listEvents({ from, to });
    const wanted = overlapping(from, to);
    expect(wanted.length).toBeGreaterThan(0);
    expect(events.map((e) => e.externalId).sort()).toEqual(wanted.map((b) => b.ids.googleEventId).sort());
  });

  it('follows nextPageToken until the last page', async () => {
    const paged = connect({ pageSize: 100 });
    const events = await paged.listEvents({
      from: new Date(NOW.getTime() - 100 * DAY),
      to: new Date(NOW.getTime() + 100 * DAY),
    });
    expect(new Set(events.map((e) => e.externalId)).size).toBe(business.bookings.length);
    expect((await requests()).byOperation['events.list']).toBe(Math.ceil(business.bookings.length / 100));
  });

  it('maps an all-day event to local midnight in the zone the listing names', async () => {
    const created = await admin('POST', 'actions/create-booking', {
      summary: 'Studio closed',
      start: { date: '2026-06-10' },
      end: { date: '2026-06-11' },
    });
    const id = (created.event as { id: string }).id;
    // No configured zone: the listing's own `timeZone` (Europe/London, on BST in June) must be used.
    const zoneless = connect({ timeZone: undefined });
    const events = await zoneless.listEvents({
      from: new Date('2026-06-09T00:00:00Z'),
      to: new Date('2026-06-12T00:00:00Z'),
    });
    expect(events.find((e) => e.externalId === id)).toMatchObject({
      title: 'Studio closed',
      start: new Date('2026-06-09T23:00:00Z'),
      end: new Date('2026-06-10T23:00:00Z'),
      attendeeEmails: [],
      serviceCode: null,
      status: 'CONFIRMED',
    });
  });
});

describe('getEvents', () => {
  it('returns events in key order, an Error for a missing id, one request per distinct id', async () => {
    const picks = [business.bookings[5], business.bookings[0], business.bookings[42]] as SeedBooking[];
    const ids = [
      picks[0]!.ids.googleEventId,
      'nosucheventid00000',
      picks[1]!.ids.googleEventId,
      picks[2]!.ids.googleEventId,
      picks[0]!.ids.googleEventId,
    ];
    const results = await source.getEvents(ids);

    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject(expected(picks[0]!));
    expect(results[1]).toBeInstanceOf(SourceError);
    expect(results[1]).toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
      source: 'google_calendar',
      status: 404,
    });
    expect((results[1] as Error).message).toContain('nosucheventid00000');
    expect(results[2]).toMatchObject(expected(picks[1]!));
    expect(results[3]).toMatchObject(expected(picks[2]!));
    expect(results[4]).toMatchObject(expected(picks[0]!));
    expect(await requests()).toMatchObject({ total: 4, byOperation: { 'events.get': 4 } });
  });

  it('returns a cancelled event as CANCELLED, not as missing', async () => {
    const booking = business.bookings.find((b) => b.status === 'cancelled') as SeedBooking;
    const [event] = await source.getEvents([booking.ids.googleEventId]);
    expect(event).toMatchObject({ externalId: booking.ids.googleEventId, status: 'CANCELLED' });
  });

  it('makes no request for no ids', async () => {
    expect(await source.getEvents([])).toEqual([]);
    expect((await requests()).total).toBe(0);
  });

  it('runs the gets in parallel, at most 8 at a time', async () => {
    await fault({ latencyMs: 150, operations: ['events.get'] });
    const ids = business.bookings.slice(0, 16).map((b) => b.ids.googleEventId);
    const started = performance.now();
    const results = await source.getEvents(ids);
    const elapsed = performance.now() - started;
    await admin('DELETE', 'faults');

    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    // Two waves of 8: more than one wave's latency, far less than 16 one after another.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('keeps a transient failure of one get in its own slot', async () => {
    await fault({ status: 503, times: 1, operations: ['events.get'] });
    const ids = business.bookings.slice(0, 4).map((b) => b.ids.googleEventId);
    const results = await source.getEvents(ids);
    const failed = results.filter((r) => r instanceof Error);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, vendorCode: 'backendError' });
  });

  it('rejects the whole call when every get failed', async () => {
    await fault({ status: 500, operations: ['events.get'] });
    const ids = business.bookings.slice(0, 3).map((b) => b.ids.googleEventId);
    const error = await failure(source.getEvents(ids));
    await admin('DELETE', 'faults');
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500 });
  });

  it('rejects the whole call and stops sending on a rate limit', async () => {
    await fault({ status: 429, retryAfterSeconds: 3, operations: ['events.get'] });
    const ids = business.bookings.slice(0, 40).map((b) => b.ids.googleEventId);
    const error = await failure(source.getEvents(ids));
    await admin('DELETE', 'faults');
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 3000 });
    // The first wave was in flight; nothing after it went out.
    expect((await requests()).total).toBeLessThanOrEqual(8);
  });
});

describe('freeBusy', () => {
  it('returns the live bookings of a window as merged busy periods, in ONE request', async () => {
    const from = new Date(NOW.getTime() + 2 * DAY);
    const to = new Date(NOW.getTime() + 9 * DAY);
    const busy = await source.freeBusy({ from, to });
    expect((await requests()).byOperation).toEqual({ 'freebusy.query': 1 });
    const live = overlapping(from, to).filter((b) => b.status !== 'cancelled');
    expect(live.length).toBeGreaterThan(0);
    for (const b of live) {
      expect(busy.some((p) => p.from <= b.start && p.to >= b.end)).toBe(true);
    }
    for (let i = 1; i < busy.length; i++) expect(busy[i]!.from > busy[i - 1]!.to).toBe(true);
    const cancelledOnly = overlapping(from, to).filter(
      (b) => b.status === 'cancelled' && !live.some((l) => l.start < b.end && l.end > b.start),
    );
    for (const b of cancelledOnly) {
      expect(busy.some((p) => p.from < b.end && p.to > b.start)).toBe(false);
    }
  });

  it('a calendar Google cannot find → NOT_FOUND', async () => {
    const other = connect({ calendarId: 'nobody@else.example' });
    const error = await failure(other.freeBusy({ from: NOW, to: new Date(NOW.getTime() + DAY) }));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', vendorCode: 'notFound', retryable: false });
  });
});

describe('listChanges', () => {
  it('syncs fully, then returns only what changed since the token', async () => {
    const full = await source.changesSince();
    expect(full.events).toHaveLength(business.bookings.length);
    expect(full.cursor).toEqual(expect.any(String));

    const booking = business.bookings.find((b) => b.status === 'confirmed') as SeedBooking;
    await admin('POST', 'actions/cancel-booking', { eventId: booking.ids.googleEventId });
    const changes = await source.changesSince(full.cursor);
    expect(changes.events).toEqual([
      expect.objectContaining({ externalId: booking.ids.googleEventId, status: 'CANCELLED' }),
    ]);
    expect(changes.deletedIds).toEqual([]);
    expect(changes.cursor).not.toBe(full.cursor);

    const none = await source.changesSince(changes.cursor);
    expect(none.events).toEqual([]);
  });

  it('maps an expired sync token (410 fullSyncRequired) to a non-retryable CONFLICT CURSOR_EXPIRED', async () => {
    const { cursor } = await source.changesSince();
    await admin('POST', 'expire-sync-tokens');
    const error = await failure(source.changesSince(cursor));
    expect(error).toMatchObject({
      source: 'google_calendar',
      code: 'CONFLICT',
      retryable: false,
      vendorCode: 'CURSOR_EXPIRED',
      status: 410,
      operation: 'events.list',
    });
  });
});

describe('errors', () => {
  const window = { from: new Date(NOW.getTime() - DAY), to: new Date(NOW.getTime() + DAY) };

  it('503 → UPSTREAM_ERROR, retryable', async () => {
    await fault({ status: 503, times: 1 });
    const error = await failure(source.listEvents(window));
    expect(error).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
      status: 503,
      vendorCode: 'backendError',
    });
    // The fault is spent: the next call works.
    expect((await source.listEvents(window)).length).toBeGreaterThan(0);
  });

  it('429 → RATE_LIMITED with Retry-After', async () => {
    await fault({ status: 429, retryAfterSeconds: 7, times: 1 });
    const error = await failure(source.listEvents(window));
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
      vendorCode: 'rateLimitExceeded',
    });
  });

  it('a dropped connection → CONNECTION_FAILED, retryable', async () => {
    await fault({ drop: true, times: 1 });
    const error = await failure(source.listEvents(window));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });
  });

  it('a bad token → UNAUTHENTICATED, and the whole batch rejects', async () => {
    const bad = connect({ accessToken: 'ya29.wrong' });
    const error = await failure(bad.listEvents(window));
    expect(error).toMatchObject({
      code: 'UNAUTHENTICATED',
      retryable: false,
      status: 401,
      vendorCode: 'authError',
    });
    const batch = await failure(
      bad.getEvents([business.bookings[0]!.ids.googleEventId, 'nosucheventid00000']),
    );
    expect(batch.code).toBe('UNAUTHENTICATED');
  });

  it('asks getAccessToken for the token of every request', async () => {
    let asked = 0;
    const refreshing = connect({
      accessToken: undefined,
      getAccessToken: async () => {
        asked++;
        return sandbox.credentials.accessToken as string;
      },
    });
    await refreshing.listEvents(window);
    await refreshing.getEvents([business.bookings[0]!.ids.googleEventId]);
    expect(asked).toBe(2);
  });

  it('403 with a rate-limit reason → RATE_LIMITED; other 403s → FORBIDDEN', () => {
    const envelope = (reason: string) => ({
      status: 403,
      headers: {},
      body: { error: { code: 403, message: 'nope', errors: [{ domain: 'usageLimits', reason }] } },
    });
    expect(toGoogleCalendarError(envelope('userRateLimitExceeded'), 'events.list')).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      vendorCode: 'userRateLimitExceeded',
    });
    expect(toGoogleCalendarError(envelope('rateLimitExceeded'), 'events.list').code).toBe('RATE_LIMITED');
    expect(toGoogleCalendarError(envelope('forbiddenForNonOrganizer'), 'events.get')).toMatchObject({
      code: 'FORBIDDEN',
      retryable: false,
    });
  });

  it('an error without Google’s envelope still maps by status', () => {
    const error = toGoogleCalendarError(
      { status: 502, headers: {}, body: '<html>Bad Gateway</html>' },
      'events.get',
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, vendorCode: undefined });
    expect(error.message).toContain('Bad Gateway');
  });
});

describe('mappers', () => {
  const valid = {
    id: 'abc123',
    status: 'tentative',
    updated: '2026-11-20T10:00:00.000Z',
    start: { dateTime: '2026-11-24T10:00:00Z' },
    end: { dateTime: '2026-11-24T11:00:00Z' },
  };

  it('fills what Google may omit', () => {
    expect(toCalendarEvent(valid, 'Europe/London')).toEqual({
      source: 'google_calendar',
      externalId: 'abc123',
      status: 'TENTATIVE',
      title: '',
      start: new Date('2026-11-24T10:00:00Z'),
      end: new Date('2026-11-24T11:00:00Z'),
      location: null,
      attendeeEmails: [],
      serviceCode: null,
      createdAt: null,
      updatedAt: new Date('2026-11-20T10:00:00Z'),
      etag: null,
      url: null,
    });
  });

  it('a malformed event → UPSTREAM_ERROR naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ ...valid, start: undefined }, 'event abc123.start'],
      [{ ...valid, end: { dateTime: 'yesterday' } }, 'event abc123.end.dateTime'],
      [{ ...valid, updated: undefined }, 'event abc123.updated'],
      [{ ...valid, status: 'maybe' }, 'event abc123.status'],
      [{ ...valid, attendees: 'someone' }, 'event abc123.attendees'],
      [{ ...valid, id: undefined }, 'event.id'],
      ['not an event', 'event should be an object'],
    ];
    for (const [raw, field] of cases) {
      let thrown: unknown;
      try {
        toCalendarEvent(raw, 'UTC');
      } catch (error) {
        thrown = error;
      }
      expect(thrown, field).toBeInstanceOf(SourceError);
      expect(thrown).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, source: 'google_calendar' });
      expect((thrown as Error).message).toContain(field);
    }
  });

  it('all-day dates are local midnight in their zone, across DST', () => {
    expect(startOfDay('2026-07-01', 'Europe/London')).toEqual(new Date('2026-06-30T23:00:00Z'));
    expect(startOfDay('2026-11-24', 'America/New_York')).toEqual(new Date('2026-11-24T05:00:00Z'));
    expect(startOfDay('2026-03-29', 'Europe/London')).toEqual(new Date('2026-03-29T00:00:00Z'));
    expect(startOfDay('2026-03-30', 'Europe/London')).toEqual(new Date('2026-03-29T23:00:00Z'));
    expect(startOfDay('2026-11-24', 'Not/AZone')).toBeNull();
    expect(startOfDay('24/11/2026', 'UTC')).toBeNull();
    const allDay = {
      ...valid,
      start: { date: '2026-07-01', timeZone: 'Asia/Tokyo' },
      end: { date: '2026-07-02' },
    };
    expect(toCalendarEvent(allDay, 'Europe/London')).toMatchObject({
      start: new Date('2026-06-30T15:00:00Z'),
      end: new Date('2026-07-01T23:00:00Z'),
    });
  });
});
