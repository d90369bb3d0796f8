import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startGoogleCalendarSandbox } from './server.ts';
import {
  admin,
  listAll,
  NOW,
  reasonOf,
  reset,
  sdk,
  sdkError,
  startReceiver,
  type Delivery,
} from './spec-helpers.ts';

const business = generateBusiness({ now: NOW });
const live = business.bookings.filter((b) => b.status !== 'cancelled');

let sandbox: VendorSandbox;
let cal: calendar_v3.Calendar;
let calendarId: string;
const receivers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ business, webhooks: { retryBaseMs: 20 } });
  cal = sdk(sandbox);
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

async function receiver(status?: (attempt: number) => number) {
  const r = await startReceiver(status);
  receivers.push(r);
  return r;
}

/** Google's verification of a push: the headers must name the channel the receiver created. */
function verify(delivery: Delivery, channel: calendar_v3.Schema$Channel, token: string | undefined) {
  const h = delivery.headers;
  expect(h['x-goog-channel-id']).toBe(channel.id);
  expect(h['x-goog-channel-token']).toBe(token);
  expect(h['x-goog-resource-id']).toBe(channel.resourceId);
  expect(h['x-goog-resource-uri']).toBe(channel.resourceUri);
  expect(h['x-goog-channel-expiration']).toBe(new Date(Number(channel.expiration)).toUTCString());
  expect(delivery.body).toBe('');
}

const state = (d: Delivery) => [
  d.headers['x-goog-resource-state'],
  Number(d.headers['x-goog-message-number']),
];

describe('push notifications (events.watch)', () => {
  it('sends sync #1 on watch, then exists #2 after an API change and #3 after an admin action', async () => {
    const r = await receiver();
    const res = await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-1', type: 'web_hook', address: r.url, token: 'secret-token-1' },
    });
    const channel = res.data;
    expect(channel).toMatchObject({
      kind: 'api#channel',
      id: 'channel-1',
      token: 'secret-token-1',
      resourceUri: `${sandbox.url}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?alt=json`,
    });
    expect(channel.resourceId).toMatch(/^\S{10,}$/);
    // Default lifetime: one week from now (the sandbox clock never runs behind the seed date).
    const lifetime = Number(channel.expiration) - Math.max(Date.now(), NOW.getTime());
    expect(lifetime).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(lifetime).toBeLessThanOrEqual(7 * 86_400_000 + 60_000);

    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([['sync', 1]]);
    verify(r.received[0]!, channel, 'secret-token-1');

    await cal.events.patch({
      calendarId,
      eventId: live[0]!.ids.googleEventId,
      requestBody: { summary: 'Moved' },
    });
    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([
      ['sync', 1],
      ['exists', 2],
    ]);
    verify(r.received[1]!, channel, 'secret-token-1');
    expect(r.received[1]!.headers['user-agent']).toContain('APIs-Google');

    const moved = await admin(sandbox, 'actions/move-booking', {
      eventId: live[1]!.ids.googleEventId,
      start: '2026-12-10T09:00:00Z',
      end: '2026-12-10T10:00:00Z',
    });
    expect(moved.status).toBe(200);
    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([
      ['sync', 1],
      ['exists', 2],
      ['exists', 3],
    ]);
    verify(r.received[2]!, channel, 'secret-token-1');
  });

  it('a push leads to the change through incremental sync', async () => {
    const r = await receiver();
    const full = await listAll(cal, { calendarId, maxResults: 2500 });
    const syncToken = full.pages[0]?.nextSyncToken as string;
    await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-sync', type: 'web_hook', address: r.url },
    });
    const booking = live[5]!;
    const cancelled = await admin(sandbox, 'actions/cancel-booking', { eventId: booking.ids.googleEventId });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.event).toMatchObject({ status: 'cancelled', sequence: 1 });
    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([
      ['sync', 1],
      ['exists', 2],
    ]);
    expect(r.received[0]!.headers['x-goog-channel-token']).toBeUndefined();
    const delta = await cal.events.list({ calendarId, syncToken });
    expect(delta.data.items).toMatchObject([
      { id: booking.ids.googleEventId, status: 'cancelled', sequence: 1 },
    ]);
  });

  it('channels.stop ends the pushes; unknown channels are 404; channel ids are unique', async () => {
    const r = await receiver();
    const channel = (
      await cal.events.watch({
        calendarId,
        requestBody: { id: 'channel-stop', type: 'web_hook', address: r.url },
      })
    ).data;
    const dup = await sdkError(
      cal.events.watch({ calendarId, requestBody: { id: 'channel-stop', type: 'web_hook', address: r.url } }),
    );
    expect(dup.status).toBe(400);
    expect(reasonOf(dup)).toBe('channelIdNotUnique');

    const stopped = await cal.channels.stop({
      requestBody: { id: channel.id, resourceId: channel.resourceId },
    });
    expect(stopped.status).toBe(204);
    await cal.events.patch({
      calendarId,
      eventId: live[0]!.ids.googleEventId,
      requestBody: { summary: 'After stop' },
    });
    await admin(sandbox, 'actions/create-booking', {
      summary: 'Walk-in',
      start: { dateTime: '2026-12-03T10:00:00Z' },
      end: { dateTime: '2026-12-03T10:30:00Z' },
    });
    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([['sync', 1]]);

    const again = await sdkError(
      cal.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }),
    );
    expect(again.status).toBe(404);
    const wrongResource = await sdkError(
      cal.channels.stop({ requestBody: { id: 'nope', resourceId: 'nope' } }),
    );
    expect(wrongResource.status).toBe(404);
  });

  it('honours a requested expiration, capped at 30 days, and rejects bad channel requests', async () => {
    const r = await receiver();
    const base = Math.max(Date.now(), NOW.getTime());
    const short = (
      await cal.events.watch({
        calendarId,
        requestBody: {
          id: 'channel-short',
          type: 'web_hook',
          address: r.url,
          expiration: String(base + 3_600_000),
        },
      })
    ).data;
    expect(Number(short.expiration)).toBe(base + 3_600_000);
    const long = (
      await cal.events.watch({
        calendarId,
        requestBody: {
          id: 'channel-long',
          type: 'web_hook',
          address: r.url,
          expiration: String(base + 90 * 86_400_000),
        },
      })
    ).data;
    expect(Number(long.expiration) - base).toBeLessThanOrEqual(30 * 86_400_000 + 60_000);
    expect(Number(long.expiration) - base).toBeGreaterThan(30 * 86_400_000 - 60_000);

    const noAddress = await sdkError(
      cal.events.watch({ calendarId, requestBody: { id: 'c-1', type: 'web_hook' } }),
    );
    expect(noAddress.status).toBe(400);
    expect(reasonOf(noAddress)).toBe('required');
    const badType = await sdkError(
      cal.events.watch({ calendarId, requestBody: { id: 'c-2', type: 'email', address: r.url } }),
    );
    expect(reasonOf(badType)).toBe('invalid');
  });

  it('retries a push the receiver first answers with 500, with the same message number', async () => {
    const r = await receiver((attempt) => (attempt === 1 ? 500 : 200));
    await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-retry', type: 'web_hook', address: r.url },
    });
    await sandbox.webhooks.idle();
    expect(r.received.map(state)).toEqual([
      ['sync', 1],
      ['sync', 1],
    ]);
    const log = sandbox.webhooks.log();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200 });
  });

  it('out of order and duplicated deliveries keep their message numbers, so receivers can tell', async () => {
    const r = await receiver();
    await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-order', type: 'web_hook', address: r.url },
    });
    await sandbox.webhooks.idle();
    await admin(sandbox, 'webhooks/settings', { outOfOrder: true });
    for (const b of live.slice(0, 3)) {
      await cal.events.patch({ calendarId, eventId: b.ids.googleEventId, requestBody: { colorId: '2' } });
    }
    expect(r.received).toHaveLength(1);
    await admin(sandbox, 'webhooks/flush', {});
    await sandbox.webhooks.idle();
    expect(r.received.map((d) => Number(d.headers['x-goog-message-number']))).toEqual([1, 4, 3, 2]);

    await admin(sandbox, 'webhooks/settings', { outOfOrder: false, duplicate: 1 });
    await cal.events.patch({
      calendarId,
      eventId: live[0]!.ids.googleEventId,
      requestBody: { colorId: '3' },
    });
    await sandbox.webhooks.idle();
    expect(r.received.slice(4).map(state)).toEqual([
      ['exists', 5],
      ['exists', 5],
    ]);
  });
});

describe('admin actions', () => {
  it('create-booking, move-booking and cancel-booking change the calendar as API writes would', async () => {
    const created = await admin(sandbox, 'actions/create-booking', {
      id: 'dropin00001',
      summary: 'Acupuncture (45 min) — Walk In',
      start: { dateTime: '2026-12-03T10:00:00Z' },
      end: { dateTime: '2026-12-03T10:45:00Z' },
      attendees: [{ email: 'walk.in@example.com' }],
    });
    expect(created.status).toBe(200);
    const viaSdk = (await cal.events.get({ calendarId, eventId: 'dropin00001' })).data;
    expect(viaSdk).toMatchObject({
      summary: 'Acupuncture (45 min) — Walk In',
      sequence: 0,
      status: 'confirmed',
    });

    const moved = await admin(sandbox, 'actions/move-booking', {
      eventId: 'dropin00001',
      start: '2026-12-04T11:00:00+00:00',
      end: '2026-12-04T11:45:00+00:00',
    });
    expect(moved.body.event).toMatchObject({ sequence: 1, start: { dateTime: '2026-12-04T11:00:00Z' } });
    const after = (await cal.events.get({ calendarId, eventId: 'dropin00001' })).data;
    expect(after.etag).not.toBe(viaSdk.etag);
    expect(Date.parse(after.updated as string)).toBeGreaterThanOrEqual(Date.parse(viaSdk.updated as string));

    const cancelled = await admin(sandbox, 'actions/cancel-booking', { eventId: 'dropin00001' });
    expect(cancelled.body.event).toMatchObject({ status: 'cancelled', sequence: 2 });
    const twice = await admin(sandbox, 'actions/cancel-booking', { eventId: 'dropin00001' });
    expect(twice.status).toBe(410);
  });

  it('answers clear 400/404 errors for bad admin input', async () => {
    expect((await admin(sandbox, 'actions/move-booking', { eventId: 'dropin00001' })).status).toBe(404);
    const badTime = await admin(sandbox, 'actions/move-booking', {
      eventId: live[0]!.ids.googleEventId,
      start: 'tomorrow',
      end: '2026-12-04T11:45:00Z',
    });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error).toContain('"start"');
    const noId = await admin(sandbox, 'actions/cancel-booking', {});
    expect(noId.status).toBe(400);
    const badEvent = await admin(sandbox, 'actions/create-booking', { summary: 'no times' });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.error).toContain('Missing start time');
    const notJson = await fetch(`${sandbox.url}/__sandbox/actions/create-booking`, {
      method: 'POST',
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('reset restores the seed calendar and forgets channels', async () => {
    const r = await receiver();
    await cal.events.watch({
      calendarId,
      requestBody: { id: 'channel-reset', type: 'web_hook', address: r.url },
    });
    await cal.events.delete({ calendarId, eventId: live[0]!.ids.googleEventId });
    await reset(sandbox);
    const event = (await cal.events.get({ calendarId, eventId: live[0]!.ids.googleEventId })).data;
    expect(event.status).toBe(live[0]!.status);
    expect((await admin(sandbox, 'channels')).body.channels).toEqual([]);
  });
});
