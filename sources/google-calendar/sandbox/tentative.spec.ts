import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './server.ts';
import { listAll, NOW, reasonOf, reset, sdk, sdkError, startReceiver } from './spec-helpers.ts';

// Tentative events through the official SDK: inserted as `status: tentative`, busy in free/busy
// (only cancelled and `transparency: transparent` events are free), confirmed with a patch, and the
// confirmation reported by incremental sync and push channels like any change.
// https://developers.google.com/calendar/api/v3/reference/events (status, transparency)

const business = generateBusiness({ now: NOW });

let sandbox: VendorSandbox;
let cal: calendar_v3.Calendar;
let calendarId: string;
const receivers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ business, webhooks: { retryBaseMs: 20 } });
  cal = sdk(sandbox, { retry: false });
  calendarId = sandbox.credentials.calendarId as string;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await reset(sandbox);
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const DAY = '2027-06-02';
const at = (time: string) => `${DAY}T${time}Z`;

async function pencil(id: string, start: string, end: string, extra: calendar_v3.Schema$Event = {}) {
  const res = await cal.events.insert({
    calendarId,
    requestBody: {
      id,
      summary: 'Held for a deposit',
      status: 'tentative',
      start: { dateTime: start },
      end: { dateTime: end },
      ...extra,
    },
  });
  return res.data;
}

describe('tentative events', () => {
  it('are inserted and read back as tentative', async () => {
    const inserted = await pencil('tentaaaa1', at('09:00:00'), at('10:00:00'));
    expect(inserted).toMatchObject({ id: 'tentaaaa1', status: 'tentative', sequence: 0 });
    expect((await cal.events.get({ calendarId, eventId: 'tentaaaa1' })).data.status).toBe('tentative');
    const listed = await cal.events.list({ calendarId, timeMin: at('00:00:00'), timeMax: at('23:59:59') });
    expect(listed.data.items).toEqual([expect.objectContaining({ id: 'tentaaaa1', status: 'tentative' })]);
  });

  it('count as busy in free/busy, unless shown as available', async () => {
    await pencil('tentaaaa2', at('09:00:00'), at('10:00:00'));
    await pencil('tentaaaa3', at('11:00:00'), at('12:00:00'), { transparency: 'transparent' });
    const res = await cal.freebusy.query({
      requestBody: { timeMin: at('08:00:00'), timeMax: at('13:00:00'), items: [{ id: calendarId }] },
    });
    expect(res.data.calendars?.[calendarId]?.busy).toEqual([{ start: at('09:00:00'), end: at('10:00:00') }]);
  });

  it('a patch to confirmed raises the sequence and the etag, and is reported by incremental sync and push', async () => {
    const inserted = await pencil('tentaaaa4', at('09:00:00'), at('10:00:00'));
    const full = await listAll(cal, { calendarId, maxResults: 2500 });
    const syncToken = full.pages.at(-1)?.nextSyncToken as string;
    const r = await startReceiver();
    receivers.push(r);
    await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-tentative', type: 'web_hook', address: r.url },
    });

    const confirmed = await cal.events.patch({
      calendarId,
      eventId: 'tentaaaa4',
      requestBody: { status: 'confirmed' },
    });
    expect(confirmed.data).toMatchObject({ status: 'confirmed', sequence: 1 });
    expect(confirmed.data.etag).not.toBe(inserted.etag);

    await sandbox.webhooks.idle();
    expect(r.received.map((d) => d.headers['x-goog-resource-state'])).toEqual(['sync', 'exists']);
    const delta = await cal.events.list({ calendarId, syncToken });
    expect(delta.data.items).toMatchObject([{ id: 'tentaaaa4', status: 'confirmed', sequence: 1 }]);
  });

  it('a patch with a stale If-Match is refused with 412 and changes nothing', async () => {
    const inserted = await pencil('tentaaaa5', at('09:00:00'), at('10:00:00'));
    await cal.events.patch({ calendarId, eventId: 'tentaaaa5', requestBody: { summary: 'Renamed' } });
    const error = await sdkError(
      cal.events.patch(
        { calendarId, eventId: 'tentaaaa5', requestBody: { status: 'confirmed' } },
        { headers: { 'If-Match': inserted.etag as string } },
      ),
    );
    expect(error.response?.status).toBe(412);
    expect(reasonOf(error)).toBe('conditionNotMet');
    expect((await cal.events.get({ calendarId, eventId: 'tentaaaa5' })).data.status).toBe('tentative');
  });
});
