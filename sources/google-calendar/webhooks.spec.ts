import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { CalendarChanges, CalendarSource } from '../../src/domain/ports.ts';
import { generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { ChannelRegistry, VerifyResult, WebhookDelivery } from '../../src/webhooks/types.ts';
import { startGoogleCalendarSandbox } from './sandbox/server.ts';
import { createGoogleCalendarSource, type GoogleCalendarSource } from './source.ts';
import { createGoogleWebhookVerifier } from './webhooks.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An in-memory registry, as the hub keeps one per workspace. */
function registry(
  entries: Record<string, { token: string; resourceId: string | null; expiresAt: Date }> = {},
): ChannelRegistry & {
  set: (id: string, c: { token: string; resourceId: string | null; expiresAt: Date }) => void;
} {
  const map = new Map(Object.entries(entries));
  return {
    find: async (id) => map.get(id) ?? null,
    set: (id, channel) => void map.set(id, channel),
  };
}

const CHANNEL = 'a1b2c3d4-0000-4000-8000-00000000c0de';
const TOKEN = 'workspace=ws_1&secret=3f9a0c6e1d7b4b52a8e9';
const RESOURCE = 'ret08u3rv24htgh289g';
const EXPIRES = new Date(NOW.getTime() + 7 * DAY);

/** A notification exactly as Google sends one (no body; X-Goog-* headers, lower-cased by node:http). */
function push(overrides: Record<string, string | string[] | undefined> = {}, now = NOW): WebhookDelivery {
  const headers: IncomingHttpHeaders = {
    'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
    'x-goog-channel-id': CHANNEL,
    'x-goog-channel-token': TOKEN,
    'x-goog-channel-expiration': EXPIRES.toUTCString(),
    'x-goog-resource-id': RESOURCE,
    'x-goog-resource-uri':
      'https://www.googleapis.com/calendar/v3/calendars/bookings%40harbourlane.example/events?alt=json',
    'x-goog-resource-state': 'exists',
    'x-goog-message-number': '7',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/google_calendar',
    headers,
    rawBody: Buffer.alloc(0),
    now,
  };
}

const verifier = createGoogleWebhookVerifier({
  channels: registry({ [CHANNEL]: { token: TOKEN, resourceId: RESOURCE, expiresAt: EXPIRES } }),
});
const verify = (delivery: WebhookDelivery) => Promise.resolve(verifier.verify(delivery));

function rejected(result: VerifyResult, status: number, reason: RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.status).toBe(status);
  expect(result.reason).toMatch(reason);
}

describe('createGoogleWebhookVerifier', () => {
  it('accepts an `exists` notification as one event: channel:messageNumber, the calendar changed', async () => {
    const result = await verify(push());
    expect(verifier.source).toBe('google_calendar');
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: `${CHANNEL}:7`,
          type: 'exists',
          occurredAt: NOW,
          changes: [{ kind: 'calendar', channelId: CHANNEL }],
        },
      ],
    });
  });

  it('accepts `not_exists` the same way', async () => {
    const result = await verify(
      push({ 'x-goog-resource-state': 'not_exists', 'x-goog-message-number': '8' }),
    );
    expect(result).toMatchObject({
      ok: true,
      events: [
        { eventId: `${CHANNEL}:8`, type: 'not_exists', changes: [{ kind: 'calendar', channelId: CHANNEL }] },
      ],
    });
  });

  it('gives a redelivery (same message number) the same event id, so the inbox drops it', async () => {
    const first = await verify(push());
    const retry = await verify(push({}, new Date(NOW.getTime() + 60_000)));
    expect(first.ok && retry.ok).toBe(true);
    if (first.ok && retry.ok) expect(retry.events[0]?.eventId).toBe(first.events[0]?.eventId);
  });

  it('answers a `sync` message with nothing to store', async () => {
    const result = await verify(push({ 'x-goog-resource-state': 'sync', 'x-goog-message-number': '1' }));
    expect(result).toEqual({ ok: true, events: [] });
  });

  it('rejects a forged token with 400 (Google does not retry 4xx)', async () => {
    rejected(
      await verify(push({ 'x-goog-channel-token': 'workspace=ws_1&secret=guessed' })),
      400,
      /Token does not match/,
    );
    // Same length, one character off: still refused.
    rejected(
      await verify(push({ 'x-goog-channel-token': `${TOKEN.slice(0, -1)}x` })),
      400,
      /Token does not match/,
    );
    rejected(await verify(push({ 'x-goog-channel-token': undefined })), 400, /no X-Goog-Channel-Token/);
  });

  it('rejects an unknown channel with 400', async () => {
    rejected(
      await verify(push({ 'x-goog-channel-id': 'not-our-channel' })),
      400,
      /not a channel this hub opened/,
    );
  });

  it('rejects a resource id that is not the watched resource', async () => {
    rejected(
      await verify(push({ 'x-goog-resource-id': 'another-resource' })),
      400,
      /Resource-ID does not match/,
    );
  });

  it('skips the resource check when the registry does not know the resource id yet', async () => {
    const early = createGoogleWebhookVerifier({
      channels: registry({ [CHANNEL]: { token: TOKEN, resourceId: null, expiresAt: EXPIRES } }),
    });
    const result = await early.verify(
      push({ 'x-goog-resource-state': 'sync', 'x-goog-message-number': '1' }),
    );
    expect(result).toEqual({ ok: true, events: [] });
  });

  it('rejects a notification on an expired channel', async () => {
    rejected(await verify(push({}, EXPIRES)), 400, /expired at 2026-11-30T00:00:00.000Z/);
    rejected(await verify(push({}, new Date(EXPIRES.getTime() + DAY))), 400, /expired/);
  });

  it('rejects a channel registered without a token: it could not be told from a forgery', async () => {
    const open = createGoogleWebhookVerifier({
      channels: registry({ [CHANNEL]: { token: '', resourceId: RESOURCE, expiresAt: EXPIRES } }),
    });
    rejected(await open.verify(push({ 'x-goog-channel-token': undefined })), 400, /without a token/);
  });

  it.each([
    ['x-goog-channel-id', /no X-Goog-Channel-ID header/],
    ['x-goog-resource-state', /no X-Goog-Resource-State header/],
    ['x-goog-resource-id', /no X-Goog-Resource-ID header/],
    ['x-goog-message-number', /no X-Goog-Message-Number header/],
  ])('rejects a notification without %s with 400', async (header, reason) => {
    rejected(await verify(push({ [header]: undefined })), 400, reason);
    rejected(await verify(push({ [header]: '' })), 400, reason);
  });

  it('rejects malformed headers with 400', async () => {
    rejected(
      await verify(push({ 'x-goog-resource-state': 'changed' })),
      400,
      /not sync, exists or not_exists/,
    );
    rejected(await verify(push({ 'x-goog-message-number': 'seven' })), 400, /not a positive integer/);
    rejected(await verify(push({ 'x-goog-message-number': '0' })), 400, /not a positive integer/);
    rejected(await verify(push({ 'x-goog-message-number': '-3' })), 400, /not a positive integer/);
    rejected(
      await verify(push({ 'x-goog-channel-id': [CHANNEL, 'other'] })),
      400,
      /more than one X-Goog-Channel-ID/,
    );
    rejected(
      await verify(push({ 'x-goog-channel-token': [TOKEN, TOKEN] })),
      400,
      /more than one X-Goog-Channel-Token/,
    );
    rejected(await verify({ ...push(), headers: {} }), 400, /no X-Goog-Channel-ID/);
    rejected(await verify({ ...push(), method: 'GET' }), 405, /POST/);
  });

  it('answers 503 when the registry itself fails, so Google retries', async () => {
    const broken = createGoogleWebhookVerifier({
      channels: {
        find: async () => {
          throw new Error('database is down');
        },
      },
    });
    rejected(await broken.verify(push()), 503, /registry could not be read: database is down/);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the connector opens a channel on the sandbox, the sandbox pushes to a real receiver.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? 'POST',
        url: `http://${req.headers.host}${req.url}`,
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
      });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/google_calendar`,
    received,
    async next(count: number): Promise<Received> {
      for (let i = 0; i < 200 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
      const got = received[count - 1];
      if (!got) throw new Error(`expected ${count} notifications, got ${received.length}`);
      return got;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('push from the sandbox through the connector (events.watch)', () => {
  const business = generateBusiness({ now: NOW });
  let sandbox: VendorSandbox;
  let source: GoogleCalendarSource;
  const receivers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    sandbox = await startGoogleCalendarSandbox({ business, webhooks: { retryBaseMs: 20 } });
    source = createGoogleCalendarSource({
      baseUrl: sandbox.url,
      accessToken: sandbox.credentials.accessToken as string,
      calendarId: sandbox.credentials.calendarId as string,
      timeZone: business.timeZone,
    });
  });
  afterAll(async () => {
    await source.close();
    await sandbox.close();
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const adminPost = async (path: string, body: unknown) => {
    const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const liveChannels = async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/channels`);
    return ((await res.json()) as { channels: Array<{ id: string; messageNumber: number }> }).channels;
  };

  it('verifies the sync message and the push after a booking moves in Google Calendar', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const channels = registry();
    const verifier = createGoogleWebhookVerifier({ channels });
    const channelId = randomUUID();
    const token = `ws_1.${randomUUID()}`;

    const before = Date.now();
    const channel = await source.watch({ channelId, address: receiver.url, token, ttlSeconds: 3600 });
    expect(channel.id).toBe(channelId);
    expect(channel.resourceId).toMatch(/^\S{10,}$/);
    // params.ttl sets the lifetime (the sandbox clock never runs behind the seed date).
    const lifetime = channel.expiration.getTime() - Math.max(before, NOW.getTime());
    expect(lifetime).toBeGreaterThan(HOUR - 60_000);
    expect(lifetime).toBeLessThanOrEqual(HOUR + 60_000);
    channels.set(channelId, { token, resourceId: channel.resourceId, expiresAt: channel.expiration });

    // 1: the sync message that confirms the channel.
    const sync = await receiver.next(1);
    expect(sync.headers['x-goog-resource-state']).toBe('sync');
    expect(await verifier.verify({ ...sync, now: new Date() })).toEqual({ ok: true, events: [] });

    // 2: someone moves a booking in Google Calendar.
    const booking = business.bookings.find((b) => b.status !== 'cancelled')!;
    const start = new Date(booking.start.getTime() + DAY);
    const moved = await adminPost('actions/move-booking', {
      eventId: booking.ids.googleEventId,
      start: start.toISOString(),
      end: new Date(start.getTime() + HOUR).toISOString(),
    });
    expect(moved.status).toBe(200);
    const change = await receiver.next(2);
    expect(change.rawBody.length).toBe(0);
    const now = new Date();
    const result = await verifier.verify({ ...change, now });
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: `${channelId}:2`,
          type: 'exists',
          occurredAt: now,
          changes: [{ kind: 'calendar', channelId }],
        },
      ],
    });

    // What the hub then does with a `calendar` change: an incremental sync through the port.
    const port: CalendarSource = source;
    const changes: CalendarChanges = await port.changesSince();
    expect(changes.events.some((e) => e.externalId === booking.ids.googleEventId)).toBe(true);

    // The same delivery with another workspace's token is refused.
    const forged = {
      ...change,
      headers: { ...change.headers, 'x-goog-channel-token': 'ws_2.guess' },
      now,
    };
    rejected(await verifier.verify(forged), 400, /Token does not match/);
  });

  it('stops a channel with stopChannel; stopping it again is NOT_FOUND', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const channelId = randomUUID();
    const channel = await source.watch({ channelId, address: receiver.url, token: 't0ken' });
    // Google's default lifetime: a week.
    expect(channel.expiration.getTime() - Math.max(Date.now(), NOW.getTime())).toBeGreaterThan(
      7 * DAY - 60_000,
    );
    expect((await liveChannels()).map((c) => c.id)).toContain(channelId);

    await source.stopChannel(channelId, channel.resourceId);
    expect((await liveChannels()).map((c) => c.id)).not.toContain(channelId);

    const again = await source.stopChannel(channelId, channel.resourceId).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toBeInstanceOf(SourceError);
    expect(again).toMatchObject({ code: 'NOT_FOUND', status: 404, operation: 'channels.stop' });
  });

  it('maps a rejected watch (channel id already in use) to a SourceError', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const channelId = randomUUID();
    await source.watch({ channelId, address: receiver.url, token: 'one' });
    const error = await source.watch({ channelId, address: receiver.url, token: 'two' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 400, vendorCode: 'channelIdNotUnique', operation: 'events.watch' });
  });
});
