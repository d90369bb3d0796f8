import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { customerAt, generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './server.ts';
import { admin, listAll, NOW, reasonOf, reset, sdk, sdkError } from './spec-helpers.ts';

const business = generateBusiness({ now: NOW });
const live = business.bookings.filter((b) => b.status !== 'cancelled');
const cancelled = business.bookings.filter((b) => b.status === 'cancelled');
const customers = new Map(business.customers.map((c) => [c.key, c]));

let sandbox: VendorSandbox;
let cal: calendar_v3.Calendar;
let calendarId: string;

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ business });
  cal = sdk(sandbox);
  calendarId = sandbox.credentials.calendarId as string;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await reset(sandbox);
});

const newEvent = (id: string, startIso = '2026-12-01T10:00:00Z', endIso = '2026-12-01T11:00:00Z') => ({
  id,
  summary: 'Sports massage (60 min) — Test Person',
  start: { dateTime: startIso, timeZone: 'Europe/London' },
  end: { dateTime: endIso, timeZone: 'Europe/London' },
  attendees: [{ email: 'test.person@example.com', displayName: 'Test Person' }],
  extendedProperties: { private: { bookingRef: 'book-test', serviceCode: 'SPORTS-60' } },
});

describe('events.list', () => {
  it('pages through every seed event with maxResults and pageToken; the sync token comes on the last page only', async () => {
    const { pages, items } = await listAll(cal, { calendarId, maxResults: 50 });
    expect(pages.length).toBe(Math.ceil(live.length / 50));
    for (const page of pages.slice(0, -1)) {
      expect(page.items).toHaveLength(50);
      expect(page.nextPageToken).toBeTruthy();
      expect(page.nextSyncToken).toBeUndefined();
    }
    const last = pages[pages.length - 1] as calendar_v3.Schema$Events;
    expect(last.nextPageToken).toBeUndefined();
    expect(last.nextSyncToken).toBeTruthy();
    const ids = items.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(live.map((b) => b.ids.googleEventId)));
    expect(last).toMatchObject({
      kind: 'calendar#events',
      timeZone: 'Europe/London',
      accessRole: 'owner',
      defaultReminders: [],
    });
  });

  it('defaults to 250 per page, allows primary as the calendar id, and shows cancelled events only with showDeleted', async () => {
    const first = await cal.events.list({ calendarId: 'primary' });
    expect(first.data.items).toHaveLength(Math.min(250, live.length));
    const all = await listAll(cal, { calendarId, showDeleted: true, maxResults: 2500 });
    expect(all.items).toHaveLength(business.bookings.length);
    const deleted = all.items.filter((e) => e.status === 'cancelled').map((e) => e.id);
    expect(new Set(deleted)).toEqual(new Set(cancelled.map((b) => b.ids.googleEventId)));
    expect(cancelled.length).toBeGreaterThan(0);
  });

  it('filters by a timeMin/timeMax window with overlap semantics', async () => {
    const timeMin = '2026-11-24T09:00:00+00:00';
    const timeMax = '2026-11-27T18:00:00+01:00'; // offsets other than Z are honoured
    const min = Date.parse(timeMin);
    const max = Date.parse(timeMax);
    const expected = live.filter((b) => b.end.getTime() > min && b.start.getTime() < max);
    expect(expected.length).toBeGreaterThan(0);
    const { items } = await listAll(cal, { calendarId, timeMin, timeMax });
    expect(new Set(items.map((e) => e.id))).toEqual(new Set(expected.map((b) => b.ids.googleEventId)));
  });

  it('orders by start time with singleEvents, and refuses orderBy=startTime without it', async () => {
    const { items } = await listAll(cal, {
      calendarId,
      singleEvents: true,
      orderBy: 'startTime',
      maxResults: 100,
    });
    const starts = items.map((e) => Date.parse(e.start?.dateTime as string));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(items).toHaveLength(live.length);

    const error = await sdkError(cal.events.list({ calendarId, orderBy: 'startTime' }));
    expect(error.status).toBe(400);
    expect(error.response?.data.error).toMatchObject({
      code: 400,
      message: 'The requested ordering is not available for the particular query.',
      errors: [{ domain: 'global', reason: 'badRequest' }],
    });
  });

  it('finds a customer’s bookings with q = their email, and one booking by private extended property', async () => {
    const booking = live.find((b) => live.filter((o) => o.customerKey === b.customerKey).length > 1)!;
    const customer = customers.get(booking.customerKey)!;
    const email = (customerAt(customer, 'calendar') ?? customer).email;
    const { items } = await listAll(cal, { calendarId, q: email });
    const expected = live.filter((b) => b.customerKey === booking.customerKey);
    expect(new Set(items.map((e) => e.id))).toEqual(new Set(expected.map((b) => b.ids.googleEventId)));
    for (const e of items) expect(e.attendees?.map((a) => a.email)).toContain(email);

    const byRef = await cal.events.list({
      calendarId,
      privateExtendedProperty: [`bookingRef=${booking.key}`],
    });
    expect(byRef.data.items?.map((e) => e.id)).toEqual([booking.ids.googleEventId]);
  });

  it('answers 400 Bad Request for a timeMin without an offset, and timeRangeEmpty for an inverted window', async () => {
    const bad = await sdkError(cal.events.list({ calendarId, timeMin: '2026-11-24T09:00:00' }));
    expect(bad.status).toBe(400);
    expect(bad.response?.data).toEqual({
      error: {
        code: 400,
        message: 'Bad Request',
        errors: [{ message: 'Bad Request', domain: 'global', reason: 'badRequest' }],
      },
    });
    const empty = await sdkError(
      cal.events.list({ calendarId, timeMin: '2026-11-25T00:00:00Z', timeMax: '2026-11-24T00:00:00Z' }),
    );
    expect(empty.status).toBe(400);
    expect(reasonOf(empty)).toBe('timeRangeEmpty');
    const badMax = await sdkError(cal.events.list({ calendarId, maxResults: 0 }));
    expect(reasonOf(badMax)).toBe('invalidParameter');
  });

  it('supports partial responses with fields and renders times in a requested timeZone', async () => {
    const res = await cal.events.list({
      calendarId,
      maxResults: 3,
      fields: 'items(id,summary),nextPageToken',
    });
    expect(Object.keys(res.data).sort()).toEqual(['items', 'nextPageToken']);
    for (const e of res.data.items ?? []) expect(Object.keys(e).sort()).toEqual(['id', 'summary']);

    const ny = await cal.events.list({ calendarId, maxResults: 1, timeZone: 'America/New_York' });
    expect(ny.data.timeZone).toBe('America/New_York');
    expect(ny.data.items?.[0]?.start?.dateTime).toMatch(/-0[45]:00$/);
  });
});

describe('events.get / insert / patch / update / delete', () => {
  it('returns a seed booking in Google’s Event shape', async () => {
    // A booking in British Summer Time shows the +01:00 offset.
    const booking = live.find((b) => b.start.getUTCMonth() === 8)!;
    const customer = customers.get(booking.customerKey)!;
    const service = business.services.find((s) => s.code === booking.serviceCode)!;
    const { data } = await cal.events.get({ calendarId, eventId: booking.ids.googleEventId });
    expect(data).toMatchObject({
      kind: 'calendar#event',
      id: booking.ids.googleEventId,
      status: booking.status,
      summary: `${service.name} — ${customer.firstName} ${customer.lastName}`,
      iCalUID: `${booking.ids.googleEventId}@google.com`,
      sequence: 0,
      organizer: { email: calendarId, self: true },
      attendees: [{ email: customer.email }],
      extendedProperties: { private: { bookingRef: booking.key, serviceCode: booking.serviceCode } },
      reminders: { useDefault: true },
      eventType: 'default',
      start: { timeZone: 'Europe/London' },
    });
    expect(data.etag).toMatch(/^"\d+"$/);
    const raw = await fetch(
      `${sandbox.url}/calendar/v3/calendars/primary/events/${booking.ids.googleEventId}`,
      {
        headers: { authorization: `Bearer ${sandbox.credentials.accessToken}` },
      },
    );
    expect(raw.headers.get('etag')).toBe(data.etag);
    expect(data.start?.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+01:00$/);
    expect(Date.parse(data.start?.dateTime as string)).toBe(booking.start.getTime());
    expect(data.updated).toBe(booking.updatedAt.toISOString());
  });

  it('inserts with a client-chosen id, and a repeat is 409 duplicate', async () => {
    const res = await cal.events.insert({
      calendarId,
      sendUpdates: 'none',
      requestBody: newEvent('sbtest00001'),
    });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      id: 'sbtest00001',
      status: 'confirmed',
      iCalUID: 'sbtest00001@google.com',
      sequence: 0,
      attendees: [{ email: 'test.person@example.com', responseStatus: 'needsAction' }],
      start: { dateTime: '2026-12-01T10:00:00Z', timeZone: 'Europe/London' },
    });
    const again = await sdkError(cal.events.insert({ calendarId, requestBody: newEvent('sbtest00001') }));
    expect(again.status).toBe(409);
    expect(again.response?.data.error).toMatchObject({
      code: 409,
      message: 'The requested identifier already exists.',
      errors: [{ domain: 'global', reason: 'duplicate' }],
    });
    const fetched = await cal.events.get({ calendarId, eventId: 'sbtest00001' });
    expect(fetched.data.etag).toBe(res.data.etag);
  });

  it('rejects bad ids, empty time ranges and missing times with Google’s 400s', async () => {
    const badId = await sdkError(cal.events.insert({ calendarId, requestBody: newEvent('Not-Base32hex!') }));
    expect(badId.status).toBe(400);
    expect(badId.response?.data.error.message).toBe('Invalid resource id value.');
    expect(reasonOf(badId)).toBe('invalid');
    const short = await sdkError(cal.events.insert({ calendarId, requestBody: newEvent('abcd') }));
    expect(reasonOf(short)).toBe('invalid');

    const backwards = await sdkError(
      cal.events.insert({
        calendarId,
        requestBody: newEvent('sbtest00002', '2026-12-01T11:00:00Z', '2026-12-01T10:00:00Z'),
      }),
    );
    expect(backwards.status).toBe(400);
    expect(backwards.response?.data.error).toMatchObject({
      message: 'The specified time range is empty.',
      errors: [{ reason: 'timeRangeEmpty' }],
    });
    const noEnd = await sdkError(
      cal.events.insert({
        calendarId,
        requestBody: { summary: 'x', start: { dateTime: '2026-12-01T10:00:00Z' } },
      }),
    );
    expect(noEnd.response?.data.error).toMatchObject({
      message: 'Missing end time.',
      errors: [{ reason: 'required' }],
    });
    const noZone = await sdkError(
      cal.events.insert({
        calendarId,
        requestBody: { start: { dateTime: '2026-12-01T10:00:00' }, end: { dateTime: '2026-12-01T11:00:00' } },
      }),
    );
    expect(noZone.response?.data.error.message).toBe('Missing time zone definition for start time.');
    // Nothing was written by the failed inserts.
    const missing = await sdkError(cal.events.get({ calendarId, eventId: 'sbtest00002' }));
    expect(missing.status).toBe(404);
  });

  it('interprets a dateTime without offset in the given timeZone', async () => {
    const res = await cal.events.insert({
      calendarId,
      requestBody: {
        start: { dateTime: '2026-07-01T10:00:00', timeZone: 'Europe/London' },
        end: { dateTime: '2026-07-01T11:00:00', timeZone: 'Europe/London' },
      },
    });
    expect(res.data.id).toMatch(/^[a-v0-9]{26}$/);
    expect(res.data.start?.dateTime).toBe('2026-07-01T10:00:00+01:00');
  });

  it('stores all-day events, lists changes with updatedMin (deletions included) ordered by updated', async () => {
    const allDay = await cal.events.insert({
      calendarId,
      requestBody: {
        id: 'closed00001',
        summary: 'Studio closed',
        start: { date: '2026-12-25' },
        end: { date: '2026-12-26' },
      },
    });
    expect(allDay.data.start).toEqual({ date: '2026-12-25' });
    const christmas = await cal.events.list({
      calendarId,
      timeMin: '2026-12-25T12:00:00Z',
      timeMax: '2026-12-25T13:00:00Z',
    });
    expect(christmas.data.items?.map((e) => e.id)).toContain('closed00001');

    const since = new Date(Date.parse(allDay.data.updated as string)).toISOString();
    await cal.events.delete({ calendarId, eventId: live[0]!.ids.googleEventId });
    const changed = await cal.events.list({ calendarId, updatedMin: since, orderBy: 'updated' });
    expect(changed.data.items?.map((e) => [e.id, e.status])).toEqual([
      ['closed00001', 'confirmed'],
      [live[0]!.ids.googleEventId, 'cancelled'],
    ]);

    const recurring = await sdkError(
      cal.events.insert({
        calendarId,
        requestBody: { ...newEvent('recur00001'), recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'] },
      }),
    );
    expect(recurring.status).toBe(400);
    expect(recurring.response?.data.error.errors[0]?.location).toBe('recurrence');
    const badSendUpdates = await sdkError(
      cal.events.insert({ calendarId, sendUpdates: 'everyone', requestBody: newEvent('sbtest00009') }),
    );
    expect(reasonOf(badSendUpdates)).toBe('invalidParameter');
  });

  it('patch merges, update replaces, and both change the etag', async () => {
    const created = (
      await cal.events.insert({
        calendarId,
        requestBody: { ...newEvent('sbtest00003'), description: 'first' },
      })
    ).data;
    const patched = (
      await cal.events.patch({
        calendarId,
        eventId: 'sbtest00003',
        requestBody: { summary: 'Renamed', extendedProperties: { private: { orderRef: 'ord-1' } } },
      })
    ).data;
    expect(patched).toMatchObject({
      summary: 'Renamed',
      description: 'first',
      attendees: [{ email: 'test.person@example.com' }],
      extendedProperties: {
        private: { bookingRef: 'book-test', serviceCode: 'SPORTS-60', orderRef: 'ord-1' },
      },
      sequence: 0,
    });
    expect(patched.etag).not.toBe(created.etag);
    expect(Date.parse(patched.updated as string)).toBeGreaterThanOrEqual(
      Date.parse(created.updated as string),
    );

    const moved = (
      await cal.events.patch({
        calendarId,
        eventId: 'sbtest00003',
        requestBody: {
          start: { dateTime: '2026-12-02T10:00:00Z' },
          end: { dateTime: '2026-12-02T11:00:00Z' },
        },
      })
    ).data;
    expect(moved.sequence).toBe(1); // a time change is a significant change
    expect(moved.start).toEqual({ dateTime: '2026-12-02T10:00:00Z', timeZone: 'Europe/London' });

    const updated = (
      await cal.events.update({
        calendarId,
        eventId: 'sbtest00003',
        requestBody: { summary: 'Replaced', start: moved.start, end: moved.end },
      })
    ).data;
    expect(updated.summary).toBe('Replaced');
    expect(updated.description).toBeUndefined();
    expect(updated.attendees).toBeUndefined();
    expect(updated.created).toBe(created.created);
    expect(updated.etag).not.toBe(moved.etag);
  });

  it('delete answers 204 and keeps the event as cancelled; a second delete is 410 deleted', async () => {
    const eventId = live[0]!.ids.googleEventId;
    const res = await cal.events.delete({ calendarId, eventId });
    expect(res.status).toBe(204);
    const after = await cal.events.get({ calendarId, eventId });
    expect(after.data.status).toBe('cancelled');
    const again = await sdkError(cal.events.delete({ calendarId, eventId }));
    expect(again.status).toBe(410);
    expect(again.response?.data.error).toMatchObject({
      message: 'Resource has been deleted',
      errors: [{ domain: 'global', reason: 'deleted' }],
    });
    const listed = await listAll(cal, { calendarId, maxResults: 2500 });
    expect(listed.items.map((e) => e.id)).not.toContain(eventId);
  });

  it('If-Match with a stale etag is 412; If-None-Match with the current etag is 304', async () => {
    const eventId = live[1]!.ids.googleEventId;
    const original = (await cal.events.get({ calendarId, eventId })).data;
    await cal.events.patch({ calendarId, eventId, requestBody: { summary: 'Changed elsewhere' } });
    const stale = await sdkError(
      cal.events.patch(
        { calendarId, eventId, requestBody: { summary: 'Lost update' } },
        { headers: { 'If-Match': original.etag as string } },
      ),
    );
    expect(stale.status).toBe(412);
    expect(stale.response?.data.error).toMatchObject({
      message: 'Precondition Failed',
      errors: [{ reason: 'conditionNotMet' }],
    });
    const staleDelete = await sdkError(
      cal.events.delete({ calendarId, eventId }, { headers: { 'If-Match': original.etag as string } }),
    );
    expect(staleDelete.status).toBe(412);

    const current = (await cal.events.get({ calendarId, eventId })).data;
    expect(current.summary).toBe('Changed elsewhere');
    const ok = await cal.events.update(
      { calendarId, eventId, requestBody: { ...current, summary: 'Safe update' } },
      { headers: { 'If-Match': current.etag as string } },
    );
    expect(ok.data.summary).toBe('Safe update');

    // gaxios accepts 304 for conditional GETs (googleapis-common's validateStatus).
    const notModified = await cal.events.get(
      { calendarId, eventId },
      { headers: { 'If-None-Match': ok.data.etag as string } },
    );
    expect(notModified.status).toBe(304);
    const raw = await fetch(`${sandbox.url}/calendar/v3/calendars/primary/events/${eventId}`, {
      headers: {
        authorization: `Bearer ${sandbox.credentials.accessToken}`,
        'if-none-match': ok.data.etag as string,
      },
    });
    expect(raw.status).toBe(304);
    expect(await raw.text()).toBe('');
    const modified = await cal.events.get(
      { calendarId, eventId },
      { headers: { 'If-None-Match': original.etag as string } },
    );
    expect(modified.status).toBe(200);
  });
});

describe('incremental sync', () => {
  it('returns only what changed since the sync token, then 410 fullSyncRequired once tokens expire', async () => {
    const full = await listAll(cal, { calendarId, maxResults: 500 });
    const syncToken = full.pages[full.pages.length - 1]?.nextSyncToken as string;
    expect(syncToken).toBeTruthy();

    const quiet = await cal.events.list({ calendarId, syncToken });
    expect(quiet.data.items).toEqual([]);
    expect(quiet.data.nextSyncToken).toBeTruthy();

    const changedId = live[2]!.ids.googleEventId;
    const deletedId = live[3]!.ids.googleEventId;
    await cal.events.patch({ calendarId, eventId: changedId, requestBody: { description: 'Running late' } });
    const delta = await cal.events.list({ calendarId, syncToken });
    expect(delta.data.items?.map((e) => e.id)).toEqual([changedId]);
    expect(delta.data.items?.[0]?.description).toBe('Running late');

    await cal.events.delete({ calendarId, eventId: deletedId });
    const next = await cal.events.list({ calendarId, syncToken: delta.data.nextSyncToken as string });
    expect(next.data.items).toMatchObject([{ id: deletedId, status: 'cancelled' }]);

    const mixed = await sdkError(cal.events.list({ calendarId, syncToken, timeMin: '2026-11-01T00:00:00Z' }));
    expect(mixed.status).toBe(400);

    expect((await admin(sandbox, 'expire-sync-tokens', {})).status).toBe(200);
    const gone = await sdkError(
      cal.events.list({ calendarId, syncToken: next.data.nextSyncToken as string }),
    );
    expect(gone.status).toBe(410);
    expect(gone.code).toBe(410);
    expect(reasonOf(gone)).toBe('fullSyncRequired');
    expect(gone.response?.data).toEqual({
      error: {
        code: 410,
        message: 'Sync token is no longer valid, a full sync is required.',
        errors: [
          {
            domain: 'calendar',
            reason: 'fullSyncRequired',
            message: 'Sync token is no longer valid, a full sync is required.',
          },
        ],
      },
    });
    const unknown = await sdkError(cal.events.list({ calendarId, syncToken: 'not-a-token' }));
    expect(unknown.status).toBe(410);
  });

  it('pages an incremental sync and never loses a change made while paging', async () => {
    const full = await listAll(cal, { calendarId, maxResults: 2500 });
    const token = full.pages[0]?.nextSyncToken as string;
    const ids = live.slice(0, 5).map((b) => b.ids.googleEventId);
    for (const eventId of ids) await cal.events.patch({ calendarId, eventId, requestBody: { colorId: '5' } });

    const first = await cal.events.list({ calendarId, syncToken: token, maxResults: 2 });
    expect(first.data.items?.map((e) => e.id)).toEqual(ids.slice(0, 2));
    // A change between pages: already-sent ids[0] changes again, and so does not-yet-sent ids[4].
    await cal.events.patch({ calendarId, eventId: ids[0]!, requestBody: { colorId: '6' } });
    await cal.events.patch({ calendarId, eventId: ids[4]!, requestBody: { colorId: '7' } });
    let pageToken = first.data.nextPageToken as string;
    const seen = [...(first.data.items ?? [])];
    let nextSyncToken: string | undefined;
    while (pageToken) {
      const page = await cal.events.list({ calendarId, syncToken: token, maxResults: 2, pageToken });
      seen.push(...(page.data.items ?? []));
      pageToken = page.data.nextPageToken as string;
      nextSyncToken = page.data.nextSyncToken ?? undefined;
    }
    // ids[4] changed after the listing started: it moves to the next sync instead of being skipped.
    expect(seen.map((e) => e.id)).toEqual(ids.slice(0, 4));
    const after = await cal.events.list({ calendarId, syncToken: nextSyncToken as string });
    expect(after.data.items?.map((e) => [e.id, e.colorId])).toEqual([
      [ids[0], '6'],
      [ids[4], '7'],
    ]);
  });
});

describe('errors and faults through the SDK', () => {
  it('401 with Google’s envelope for a wrong or missing token', async () => {
    const wrong = await sdkError(sdk(sandbox, { token: 'ya29.wrong' }).events.list({ calendarId }));
    expect(wrong.status).toBe(401);
    expect(wrong.response?.data).toEqual({
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        errors: [
          {
            message: 'Invalid Credentials',
            domain: 'global',
            reason: 'authError',
            location: 'Authorization',
            locationType: 'header',
          },
        ],
        status: 'UNAUTHENTICATED',
      },
    });
    const missing = await fetch(`${sandbox.url}/calendar/v3/calendars/primary/events`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('404 notFound for unknown events and calendars', async () => {
    const event = await sdkError(cal.events.get({ calendarId, eventId: 'doesnotexist1' }));
    expect(event.status).toBe(404);
    expect(event.response?.data).toEqual({
      error: {
        code: 404,
        message: 'Not Found',
        errors: [{ message: 'Not Found', domain: 'global', reason: 'notFound' }],
      },
    });
    const calendarMissing = await sdkError(cal.events.list({ calendarId: 'someone-else@example.com' }));
    expect(calendarMissing.status).toBe(404);
  });

  it('400 parseError for a malformed JSON body', async () => {
    const res = await fetch(`${sandbox.url}/calendar/v3/calendars/primary/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandbox.credentials.accessToken}`,
        'content-type': 'application/json',
      },
      body: '{"summary": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 400, errors: [{ reason: 'parseError' }] } });
  });

  it('surfaces injected 503, 429 with Retry-After, latency and a dropped connection (SDK retries off)', async () => {
    const noRetry = sdk(sandbox, { retry: false });
    await admin(sandbox, 'faults', { status: 503, times: 1 });
    const unavailable = await sdkError(noRetry.events.list({ calendarId }));
    expect(unavailable.status).toBe(503);
    expect(reasonOf(unavailable)).toBe('backendError');

    await admin(sandbox, 'faults', { status: 429, retryAfterSeconds: 7, times: 1 });
    const limited = await sdkError(noRetry.events.get({ calendarId, eventId: live[0]!.ids.googleEventId }));
    expect(limited.status).toBe(429);
    expect(limited.response?.headers.get('retry-after')).toBe('7');
    expect(limited.response?.data.error).toMatchObject({
      message: 'Rate Limit Exceeded',
      errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }],
    });

    await admin(sandbox, 'faults', { latencyMs: 300, times: 1 });
    const started = performance.now();
    const slow = await noRetry.events.list({ calendarId, maxResults: 1 });
    expect(slow.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    await admin(sandbox, 'faults', { drop: true, times: 1 });
    const dropped = await sdkError(noRetry.events.list({ calendarId }));
    expect(dropped.response).toBeUndefined();
    const log = await admin(sandbox, 'requests');
    const entries = log.body.entries as Array<{ operation: string; status: number; dropped?: boolean }>;
    expect(entries.filter((e) => e.dropped)).toHaveLength(1);
    expect(entries.map((e) => e.status)).toEqual([503, 429, 200, 0]);
  });

  it('with its default retries, the SDK rides out a single 503', async () => {
    await admin(sandbox, 'faults', { status: 503, times: 1, operations: ['events.list'] });
    const res = await cal.events.list({ calendarId, maxResults: 1 });
    expect(res.status).toBe(200);
    const log = await admin(sandbox, 'requests');
    expect((log.body.entries as Array<{ status: number }>).map((e) => e.status)).toEqual([503, 200]);
  });
});
