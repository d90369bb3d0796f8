import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Signature } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { VerifyResult, WebhookDelivery } from '../../src/webhooks/types.ts';
import { startHubspotSandbox } from './sandbox/server.ts';
import { admin } from './sandbox/test-helpers.ts';
import { createHubspotSource, type HubspotSource } from './source.ts';
import { createHubspotWebhookVerifier, hubspotSignatureV3, hubspotSignedUri } from './webhooks.ts';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URL_CALLED = 'https://hub.example.com/webhooks/hubspot?workspace=acme';

const hubspotEvent = (overrides: Record<string, unknown> = {}) => ({
  eventId: 3816000001,
  subscriptionId: 1000001,
  portalId: 24681357,
  appId: 3141592,
  occurredAt: 1_795_000_000_000,
  subscriptionType: 'contact.creation',
  attemptNumber: 0,
  objectId: 151,
  changeSource: 'CRM_UI',
  changeFlag: 'CREATED',
  ...overrides,
});

/**
 * A delivery as HubSpot sends it, signed (v3) at `timestamp` over `signedUrl`; `now` is the hub's
 * clock, the real one by default so the SDK's own check (which reads Date.now()) agrees.
 */
function delivery(
  body: string | unknown[],
  {
    secret = SECRET,
    url = URL_CALLED,
    signedUrl = hubspotSignedUri(url),
    now = new Date(),
    timestamp = now.getTime(),
    method = 'POST',
  }: {
    secret?: string;
    url?: string;
    signedUrl?: string;
    now?: Date;
    timestamp?: number;
    method?: string;
  } = {},
): WebhookDelivery {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = Signature.getSignature(method, 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: text,
    url: signedUrl,
    timestamp,
  });
  return {
    method,
    url,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': String(timestamp),
    },
    rawBody: Buffer.from(text, 'utf8'),
    now,
  };
}

/** The SDK's verdict on a delivery: `Signature.isValid` with HubSpot's URI decoding applied. */
function sdkAccepts(d: WebhookDelivery, secret = SECRET): boolean {
  return Signature.isValid({
    signatureVersion: 'v3',
    signature: d.headers['x-hubspot-signature-v3'] as string,
    clientSecret: secret,
    requestBody: d.rawBody.toString('utf8'),
    method: d.method,
    url: hubspotSignedUri(d.url),
    timestamp: Number(d.headers['x-hubspot-request-timestamp']),
  });
}

const verifier = createHubspotWebhookVerifier({ clientSecret: SECRET });

function rejected(result: VerifyResult, status: number): string {
  expect(result).toMatchObject({ ok: false, status });
  return result.ok ? '' : result.reason;
}

describe('createHubspotWebhookVerifier: signatures', () => {
  it('accepts a v3-signed delivery, agreeing with the SDK', () => {
    const d = delivery([hubspotEvent()]);
    expect(sdkAccepts(d)).toBe(true);
    expect(verifier.verify(d)).toEqual({
      ok: true,
      events: [
        {
          eventId: '3816000001',
          type: 'contact.creation',
          occurredAt: new Date(1_795_000_000_000),
          changes: [{ kind: 'person', externalId: '151', created: true }],
        },
      ],
    });
  });

  it('computes the same signature as the SDK', () => {
    const timestamp = '1795000000123';
    const body = JSON.stringify([hubspotEvent()]);
    expect(hubspotSignatureV3(SECRET, 'POST', URL_CALLED, Buffer.from(body), timestamp)).toBe(
      Signature.getSignature('POST', 'v3', {
        signature: '',
        clientSecret: SECRET,
        requestBody: body,
        url: URL_CALLED,
        timestamp: Number(timestamp),
      }),
    );
  });

  it('rejects a tampered body with 401, as the SDK does', () => {
    const d = delivery([hubspotEvent()]);
    d.rawBody = Buffer.from(d.rawBody.toString('utf8').replace('151', '152'));
    expect(sdkAccepts(d)).toBe(false);
    expect(rejected(verifier.verify(d), 401)).toBe(
      'X-HubSpot-Signature-v3 does not match the app client secret for this method, URL, body and timestamp',
    );
  });

  it('rejects another secret, another URL, another method and another timestamp', () => {
    const body = [hubspotEvent()];
    const other = delivery(body, { secret: 'not-the-app-secret' });
    expect(sdkAccepts(other)).toBe(false);
    rejected(verifier.verify(other), 401);

    const moved = { ...delivery(body), url: 'https://hub.example.com/webhooks/hubspot?workspace=evil' };
    expect(sdkAccepts(moved)).toBe(false);
    rejected(verifier.verify(moved), 401);

    const put = { ...delivery(body), method: 'PUT' };
    expect(sdkAccepts(put)).toBe(false);
    rejected(verifier.verify(put), 401);

    const d = delivery(body);
    const shifted = {
      ...d,
      headers: { ...d.headers, 'x-hubspot-request-timestamp': String(d.now.getTime() - 1) },
    };
    expect(sdkAccepts(shifted)).toBe(false);
    rejected(verifier.verify(shifted), 401);
  });

  it('decodes the characters HubSpot lists in the URL, and only those', () => {
    const url = 'https://hub.example.com/webhooks/hubspot?ws=acme%3Auk%2Ceu&tag=%28a%29%21%2a&q=a%20b%2Bc';
    expect(hubspotSignedUri(url)).toBe(
      'https://hub.example.com/webhooks/hubspot?ws=acme:uk,eu&tag=(a)!*&q=a%20b%2Bc',
    );
    // HubSpot signs the decoded form; the hub receives the URL percent-encoded.
    const d = delivery([hubspotEvent()], { url });
    expect(sdkAccepts(d)).toBe(true);
    expect(verifier.verify(d).ok).toBe(true);
    // A signature over the URL as encoded (no decoding) is not HubSpot's.
    rejected(verifier.verify(delivery([hubspotEvent()], { url, signedUrl: url })), 401);
  });

  it('rejects stale and future timestamps beyond maxAgeMs, accepts at the edge', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const body = [hubspotEvent()];
    const at = (offset: number) => delivery(body, { now, timestamp: now.getTime() - offset });
    expect(rejected(verifier.verify(at(300_001)), 401)).toBe(
      'X-HubSpot-Request-Timestamp is 300 s old, beyond the 300 s limit',
    );
    expect(rejected(verifier.verify(at(-400_000)), 401)).toContain('in the future');
    expect(verifier.verify(at(300_000)).ok).toBe(true);
    expect(verifier.verify(at(-300_000)).ok).toBe(true);

    // The SDK agrees that an old one is invalid (it throws rather than answering false).
    const old = delivery(body, { timestamp: Date.now() - 301_000 });
    expect(() => sdkAccepts(old)).toThrow('Timestamp is invalid');
    rejected(verifier.verify(old), 401);

    const strict = createHubspotWebhookVerifier({ clientSecret: SECRET, maxAgeMs: 1_000 });
    rejected(strict.verify(at(1_001)), 401);
    expect(strict.verify(at(1_000)).ok).toBe(true);
  });

  it('rejects missing and malformed headers with 401', () => {
    const d = delivery([hubspotEvent()]);
    const sig = d.headers['x-hubspot-signature-v3'] as string;
    const ts = d.headers['x-hubspot-request-timestamp'] as string;
    const cases: Array<[IncomingHttpHeaders, string]> = [
      [{ 'x-hubspot-request-timestamp': ts }, 'the X-HubSpot-Signature-v3 header is missing'],
      [{ 'x-hubspot-signature-v3': sig }, 'the X-HubSpot-Request-Timestamp header is missing'],
      [{ 'x-hubspot-signature-v3': '', 'x-hubspot-request-timestamp': ts }, 'is missing'],
      [
        { 'x-hubspot-signature-v3': [sig, sig], 'x-hubspot-request-timestamp': ts },
        'X-HubSpot-Signature-v3 was sent more than once',
      ],
      [
        { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': 'yesterday' },
        'X-HubSpot-Request-Timestamp "yesterday" is not a time in milliseconds',
      ],
      [{ 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': `${ts}.5` }, 'not a time'],
      [{ 'x-hubspot-signature-v3': 'bm90IGl0', 'x-hubspot-request-timestamp': ts }, 'does not match'],
      // The legacy v1 signature alone is not accepted: it has no timestamp, so it can be replayed.
      [{ 'x-hubspot-signature': 'abc', 'x-hubspot-signature-version': 'v1' }, 'is missing'],
    ];
    for (const [headers, reason] of cases) {
      expect(rejected(verifier.verify({ ...d, headers }), 401)).toContain(reason);
    }
    // Header names are matched case-insensitively.
    const mixed = { 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': ts };
    expect(verifier.verify({ ...d, headers: mixed }).ok).toBe(true);
  });

  it('refuses to be built without a client secret or with a nonsense age', () => {
    expect(() => createHubspotWebhookVerifier({ clientSecret: '' })).toThrow(TypeError);
    expect(() => createHubspotWebhookVerifier({ clientSecret: SECRET, maxAgeMs: 0 })).toThrow(RangeError);
  });
});

describe('createHubspotWebhookVerifier: bodies', () => {
  it('rejects a correctly signed body that is not an array of events with 400', () => {
    const cases: Array<[string, string]> = [
      ['[{"eventId": 1', 'not valid JSON'],
      ['', 'not valid JSON'],
      [JSON.stringify(hubspotEvent()), 'not a JSON array of events'],
      [JSON.stringify([hubspotEvent(), 'x']), 'event 1 is not an object'],
      [JSON.stringify([hubspotEvent({ eventId: undefined })]), 'event 0 has no eventId'],
      [JSON.stringify([hubspotEvent({ eventId: -1 })]), 'event 0 has no eventId'],
      [JSON.stringify([hubspotEvent({ subscriptionType: undefined })]), 'event 0 has no subscriptionType'],
      [
        JSON.stringify([hubspotEvent({ occurredAt: '2026-11-23' })]),
        'event 0 has no occurredAt (Unix milliseconds)',
      ],
      [JSON.stringify([hubspotEvent({ objectId: undefined })]), 'event 0 has no objectId'],
    ];
    for (const [body, reason] of cases) {
      const d = delivery(body);
      expect(sdkAccepts(d)).toBe(true);
      expect(rejected(verifier.verify(d), 400)).toBe(`malformed HubSpot webhook body: ${reason}`);
    }
  });

  it('never throws, whatever arrives', () => {
    const odd: WebhookDelivery[] = [
      {
        ...delivery('[]'),
        headers: { 'x-hubspot-signature-v3': '\u0000', 'x-hubspot-request-timestamp': '1' },
      },
      {
        ...delivery('[]'),
        headers: { 'x-hubspot-signature-v3': 'x', 'x-hubspot-request-timestamp': '9'.repeat(16) },
      },
      delivery('null'),
      delivery('[null, 1, "x"]'),
      { ...delivery([hubspotEvent()]), url: '%%%' },
      delivery(Buffer.from([0xff, 0xfe, 0x00]).toString('latin1')),
    ];
    for (const d of odd) expect(() => verifier.verify(d)).not.toThrow();
  });

  it('accepts an empty batch', () => {
    expect(verifier.verify(delivery('[]'))).toEqual({ ok: true, events: [] });
  });

  it('maps a mixed batch: one inbox event per HubSpot event, contacts as people, deals without changes', () => {
    const result = verifier.verify(
      delivery([
        hubspotEvent({ eventId: 1, subscriptionType: 'contact.creation', objectId: 10 }),
        hubspotEvent({
          eventId: 2,
          subscriptionType: 'contact.propertyChange',
          objectId: 10,
          propertyName: 'email',
          propertyValue: 'a@example.com',
        }),
        hubspotEvent({
          eventId: 3,
          subscriptionType: 'contact.deletion',
          objectId: 11,
          changeFlag: 'DELETED',
        }),
        hubspotEvent({ eventId: 4, subscriptionType: 'contact.privacyDeletion', objectId: 12 }),
        hubspotEvent({ eventId: 5, subscriptionType: 'contact.restore', objectId: 13 }),
        hubspotEvent({
          eventId: 6,
          subscriptionType: 'contact.merge',
          objectId: 14,
          primaryObjectId: 14,
          mergedObjectIds: [14, 15],
          newObjectId: 14,
        }),
        hubspotEvent({ eventId: 7, subscriptionType: 'deal.creation', objectId: 900 }),
        hubspotEvent({
          eventId: 8,
          subscriptionType: 'deal.propertyChange',
          objectId: 900,
          propertyName: 'amount',
        }),
        hubspotEvent({ eventId: 9, subscriptionType: 'contact.associationChange', objectId: 10 }),
      ]),
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.events.map((e) => [e.eventId, e.type, e.changes])).toEqual([
      ['1', 'contact.creation', [{ kind: 'person', externalId: '10', created: true }]],
      ['2', 'contact.propertyChange', [{ kind: 'person', externalId: '10', fields: ['email'] }]],
      ['3', 'contact.deletion', [{ kind: 'person', externalId: '11', deleted: true }]],
      ['4', 'contact.privacyDeletion', [{ kind: 'person', externalId: '12', deleted: true }]],
      ['5', 'contact.restore', [{ kind: 'person', externalId: '13' }]],
      [
        '6',
        'contact.merge',
        [
          { kind: 'person', externalId: '14' },
          { kind: 'person', externalId: '15', deleted: true },
        ],
      ],
      ['7', 'deal.creation', []],
      ['8', 'deal.propertyChange', []],
      ['9', 'contact.associationChange', []],
    ]);
    expect(result.events.every((e) => e.occurredAt.getTime() === 1_795_000_000_000)).toBe(true);
  });

  it('keeps the event id across retries (only attemptNumber changes)', () => {
    const first = verifier.verify(delivery([hubspotEvent({ attemptNumber: 0 })]));
    const retry = verifier.verify(delivery([hubspotEvent({ attemptNumber: 3 })]));
    expect(first.ok && retry.ok && first.events[0]!.eventId === retry.events[0]!.eventId).toBe(true);
  });
});

describe('against the HubSpot sandbox', () => {
  const business = generateBusiness({ now: new Date('2026-11-23T00:00:00Z') });
  const contactId = business.customers.find((c) => customerAt(c, 'hubspot'))!.ids.hubspotContactId!;
  let sandbox: VendorSandbox;
  let source: HubspotSource;
  let server: Server;
  let targetUrl: string;
  const received: WebhookDelivery[] = [];
  let waiters: Array<() => void> = [];

  const waitForDeliveries = (count: number) =>
    new Promise<WebhookDelivery[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} deliveries, got ${received.length}`)),
        5_000,
      );
      const check = () => {
        if (received.length >= count) {
          clearTimeout(timer);
          resolve(received.slice(0, count));
        } else waiters.push(check);
      };
      check();
    });

  const credentials = () => ({
    developerApiKey: sandbox.credentials.developerApiKey!,
    appId: sandbox.credentials.appId!,
  });

  beforeAll(async () => {
    sandbox = await startHubspotSandbox({
      business,
      webhooks: { retryBaseMs: 20 },
      webhookBatchWindowMs: 20,
    });
    source = createHubspotSource({ baseUrl: sandbox.url, accessToken: sandbox.credentials.accessToken! });
    // The hub's receiving end: a real HTTP server keeping each delivery byte for byte, with the
    // full URL as called (what HubSpot signs).
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? '/'}`,
          headers: req.headers,
          rawBody: Buffer.concat(chunks),
          now: new Date(),
        });
        res.statusCode = 204;
        res.end();
        const ready = waiters;
        waiters = [];
        for (const w of ready) w();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // A workspace in the query, with characters HubSpot signs decoded.
    targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot?workspace=acme%3Auk`;
  });
  afterAll(async () => {
    await source.close();
    await sandbox.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('registers the app webhooks, then a UI edit arrives signed and verifies with the right change', async () => {
    const registered = await source.registerAppWebhooks({
      ...credentials(),
      targetUrl,
      events: [
        { eventType: 'contact.creation' },
        { eventType: 'contact.deletion' },
        { eventType: 'contact.propertyChange', propertyName: 'firstname' },
      ],
    });
    expect(registered).toEqual({
      targetUrl,
      subscriptions: [
        { id: expect.any(String), eventType: 'contact.creation', outcome: 'created' },
        { id: expect.any(String), eventType: 'contact.deletion', outcome: 'created' },
        {
          id: expect.any(String),
          eventType: 'contact.propertyChange',
          propertyName: 'firstname',
          outcome: 'created',
        },
      ],
    });

    const res = await admin(sandbox, 'actions/edit-contact', {
      id: contactId,
      properties: { firstname: 'Webhooked' },
    });
    expect(res.status).toBe(200);
    const [d] = await waitForDeliveries(1);
    expect(d!.url).toBe(targetUrl);

    const hub = createHubspotWebhookVerifier({ clientSecret: sandbox.credentials.clientSecret! });
    const result = hub.verify(d!);
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: expect.stringMatching(/^\d+$/),
          type: 'contact.propertyChange',
          occurredAt: expect.any(Date),
          changes: [{ kind: 'person', externalId: contactId, fields: ['firstname'] }],
        },
      ],
    });
    const body = JSON.parse(d!.rawBody.toString('utf8')) as Array<{ eventId: number }>;
    expect(result.ok && result.events[0]!.eventId).toBe(String(body[0]!.eventId));
    // The SDK agrees (given the URL as HubSpot signs it), and both reject a tampered copy.
    expect(sdkAccepts(d!, sandbox.credentials.clientSecret!)).toBe(true);
    const tampered = {
      ...d!,
      rawBody: Buffer.from(d!.rawBody.toString('utf8').replace('Webhooked', 'Hacked')),
    };
    expect(sdkAccepts(tampered, sandbox.credentials.clientSecret!)).toBe(false);
    rejected(hub.verify(tampered), 401);
    rejected(createHubspotWebhookVerifier({ clientSecret: 'another-app' }).verify(d!), 401);

    // A contact deleted in the UI arrives as a deletion.
    received.length = 0;
    await admin(sandbox, 'actions/delete-contact', { id: contactId });
    const [deletion] = await waitForDeliveries(1);
    expect(hub.verify(deletion!)).toMatchObject({
      ok: true,
      events: [
        { type: 'contact.deletion', changes: [{ kind: 'person', externalId: contactId, deleted: true }] },
      ],
    });
  });

  it('is safe to repeat: identical subscriptions are kept, paused ones re-activated', async () => {
    const input = {
      ...credentials(),
      targetUrl,
      events: [
        { eventType: 'contact.creation' },
        { eventType: 'contact.creation' },
        { eventType: 'contact.propertyChange', propertyName: 'email' },
      ],
    };
    const first = await source.registerAppWebhooks(input);
    expect(first.subscriptions.map((s) => s.outcome)).toEqual(['existing', 'created']);

    // Someone pauses one in the app settings.
    const emailSub = first.subscriptions[1]!;
    const paused = await fetch(
      `${sandbox.url}/webhooks/v3/${input.appId}/subscriptions/${emailSub.id}?hapikey=${input.developerApiKey}`,
      { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"active":false}' },
    );
    expect(paused.status).toBe(200);

    const again = await source.registerAppWebhooks(input);
    expect(again.subscriptions).toEqual([
      { id: first.subscriptions[0]!.id, eventType: 'contact.creation', outcome: 'existing' },
      { id: emailSub.id, eventType: 'contact.propertyChange', propertyName: 'email', outcome: 'activated' },
    ]);
    const list = await fetch(
      `${sandbox.url}/webhooks/v3/${input.appId}/subscriptions?hapikey=${input.developerApiKey}`,
    );
    const { results } = (await list.json()) as { results: Array<{ eventType: string; active: boolean }> };
    expect(results.filter((s) => s.eventType === 'contact.creation')).toHaveLength(1);
    expect(results.every((s) => s.active)).toBe(true);
  });

  it('fails with HubSpot errors mapped: a wrong developer key, an unknown property', async () => {
    const wrongKey = await source
      .registerAppWebhooks({ ...credentials(), developerApiKey: 'wrong', targetUrl, events: [] })
      .catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(SourceError);
    expect(wrongKey).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });

    const unknown = await source
      .registerAppWebhooks({
        ...credentials(),
        targetUrl,
        events: [{ eventType: 'contact.propertyChange', propertyName: 'shoe_size' }],
      })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
  });
});
