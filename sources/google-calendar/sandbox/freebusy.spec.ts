import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './server.ts';
import { NOW, reset, sdk, sdkError } from './spec-helpers.ts';

// freebusy.query through the official SDK, against the seed's events and events the spec adds.
// https://developers.google.com/calendar/api/v3/reference/freebusy/query

const business = generateBusiness({ now: NOW });

let sandbox: VendorSandbox;
let cal: calendar_v3.Calendar;
let calendarId: string;

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ business });
  cal = sdk(sandbox, { retry: false });
  calendarId = sandbox.credentials.calendarId as string;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await reset(sandbox);
});

/** A far-future day no seed booking reaches (the seed spreads 90 days around NOW). */
const DAY = '2027-06-01';
const at = (time: string) => `${DAY}T${time}Z`;

async function insert(id: string, start: string, end: string, extra: calendar_v3.Schema$Event = {}) {
  await cal.events.insert({
    calendarId,
    requestBody: { id, summary: 'Busy', start: { dateTime: start }, end: { dateTime: end }, ...extra },
  });
}

describe('freebusy.query', () => {
  it('answers busy periods merged, clipped to the window, without cancelled or transparent events', async () => {
    await insert('fbaaaa1', at('09:00:00'), at('10:00:00'));
    await insert('fbaaaa2', at('09:30:00'), at('10:30:00')); // overlaps: merged
    await insert('fbaaaa3', at('10:30:00'), at('11:00:00')); // touches: merged
    await insert('fbaaaa4', at('12:00:00'), at('13:00:00'), { transparency: 'transparent' });
    await insert('fbaaaa5', at('14:00:00'), at('15:00:00'));
    await cal.events.delete({ calendarId, eventId: 'fbaaaa5' });
    await insert('fbaaaa6', at('16:00:00'), at('18:00:00')); // clipped at timeMax

    const res = await cal.freebusy.query({
      requestBody: { timeMin: at('08:00:00'), timeMax: at('17:00:00'), items: [{ id: calendarId }] },
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      kind: 'calendar#freeBusy',
      timeMin: '2027-06-01T08:00:00Z',
      timeMax: '2027-06-01T17:00:00Z',
      calendars: {
        [calendarId]: {
          busy: [
            { start: '2027-06-01T09:00:00Z', end: '2027-06-01T11:00:00Z' },
            { start: '2027-06-01T16:00:00Z', end: '2027-06-01T17:00:00Z' },
          ],
        },
      },
    });
  });

  it('renders instants in the requested time zone, answers primary, and matches the seed bookings', async () => {
    const from = Date.UTC(2026, 10, 24);
    const to = Date.UTC(2026, 10, 25);
    const res = await cal.freebusy.query({
      requestBody: {
        timeMin: new Date(from).toISOString(),
        timeMax: new Date(to).toISOString(),
        timeZone: 'America/New_York',
        items: [{ id: 'primary' }],
      },
    });
    expect(res.data.timeMin).toBe('2026-11-23T19:00:00-05:00');
    const busy = res.data.calendars?.primary?.busy ?? [];
    const live = business.bookings.filter(
      (b) => b.status !== 'cancelled' && b.start.getTime() < to && b.end.getTime() > from,
    );
    expect(live.length).toBeGreaterThan(0);
    // Every live booking lies inside one busy period; every busy period starts at a booking's start.
    for (const b of live) {
      expect(
        busy.some(
          (p) =>
            Date.parse(p.start!) <= Math.max(b.start.getTime(), from) &&
            Date.parse(p.end!) >= Math.min(b.end.getTime(), to),
        ),
      ).toBe(true);
    }
    for (const p of busy) {
      expect(p.start).toMatch(/-05:00$/);
      expect(live.some((b) => Math.max(b.start.getTime(), from) === Date.parse(p.start!))).toBe(true);
    }
  });

  it('gives an unknown calendar a notFound entry, not a failed request', async () => {
    const res = await cal.freebusy.query({
      requestBody: {
        timeMin: at('08:00:00'),
        timeMax: at('17:00:00'),
        items: [{ id: 'someone@else.example' }],
      },
    });
    expect(res.data.calendars).toEqual({
      'someone@else.example': { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] },
    });
  });

  it('refuses a bad request the way Google does', async () => {
    const missing = await sdkError(
      cal.freebusy.query({ requestBody: { timeMax: at('17:00:00'), items: [] } }),
    );
    expect(missing.status).toBe(400);
    expect(missing.response?.data.error).toMatchObject({
      code: 400,
      message: 'Missing timeMin parameter.',
      errors: [{ reason: 'required', domain: 'global' }],
    });

    const noOffset = await sdkError(
      cal.freebusy.query({ requestBody: { timeMin: `${DAY}T08:00:00`, timeMax: at('17:00:00') } }),
    );
    expect(noOffset.response?.data.error).toMatchObject({ code: 400, errors: [{ reason: 'badRequest' }] });

    const empty = await sdkError(
      cal.freebusy.query({ requestBody: { timeMin: at('17:00:00'), timeMax: at('08:00:00') } }),
    );
    expect(empty.response?.data.error).toMatchObject({
      code: 400,
      message: 'The specified time range is empty.',
      errors: [{ reason: 'timeRangeEmpty', domain: 'calendar' }],
    });

    const long = await sdkError(
      cal.freebusy.query({
        requestBody: { timeMin: '2027-01-01T00:00:00Z', timeMax: '2027-06-01T00:00:00Z', items: [] },
      }),
    );
    expect(long.response?.data.error).toMatchObject({
      code: 400,
      message: 'The requested time range is too long.',
      errors: [{ reason: 'timeRangeTooLong', domain: 'calendar' }],
    });

    const zone = await sdkError(
      cal.freebusy.query({
        requestBody: { timeMin: at('08:00:00'), timeMax: at('17:00:00'), timeZone: 'Mars/Olympus' },
      }),
    );
    expect(zone.response?.data.error).toMatchObject({
      code: 400,
      errors: [{ reason: 'invalidParameter', location: 'timeZone' }],
    });
  });
});
