import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { VerifyResult, WebhookDelivery, WebhookVerifier } from '../../src/webhooks/types.ts';
import { startXeroSandbox } from './sandbox/server.ts';
import { createXeroWebhookVerifier, xeroEventId } from './webhooks.ts';

/**
 * xero-node has no webhook verifier, so deliveries are signed with Xero's published algorithm:
 * base64(HMAC-SHA256(webhook key, raw body)).
 * https://developer.xero.com/documentation/guides/webhooks/overview
 */
const sign = (key: string, body: string | Buffer) => createHmac('sha256', key).update(body).digest('base64');

const KEY = 'YTx7Pq0kXm3Lc9vB2nR8sW4dF6gH1jK5zA7eU0iO3yT9wQ2xC4vB6nM8lP1oI==';
const TENANT = '6f1b9c2e-8a4d-4e3b-9c7a-1d2e3f4a5b6c';
const INVOICE_ID = 'a3b5c7d9-1e2f-4a6b-8c0d-2e4f6a8b0c1d';
const CONTACT_ID = '0f1e2d3c-4b5a-4968-8776-655443322110';
const NOW = new Date('2026-11-23T10:00:00Z');

const event = (overrides: Record<string, unknown> = {}) => ({
  resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${INVOICE_ID}`,
  resourceId: INVOICE_ID,
  eventDateUtc: '2026-11-23T09:59:58.123',
  eventType: 'UPDATE',
  eventCategory: 'INVOICE',
  tenantId: TENANT,
  tenantType: 'ORGANISATION',
  ...overrides,
});

const batch = (events: unknown[], first = 1) =>
  JSON.stringify({
    events,
    firstEventSequence: events.length === 0 ? 0 : first,
    lastEventSequence: events.length === 0 ? 0 : first + events.length - 1,
    entropy: 'QWERTYUIOPASDFGHJKLZ',
  });

function delivery(body: string | Buffer, signature: string | string[] = sign(KEY, body)): WebhookDelivery {
  const headers: IncomingHttpHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'x-xero-signature': signature,
  };
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/xero',
    headers,
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    now: NOW,
  };
}

const verifier = createXeroWebhookVerifier({ webhookKey: KEY });
const verify = (d: WebhookDelivery) => Promise.resolve(verifier.verify(d));

function rejected(result: VerifyResult, status: number, reason: RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.status).toBe(status);
  expect(result.reason).toMatch(reason);
}

describe('createXeroWebhookVerifier', () => {
  it('accepts a signed batch: one event per change, answered 200 with an empty body', async () => {
    const body = batch([
      event(),
      event({
        resourceUrl: `https://api.xero.com/api.xro/2.0/Contacts/${CONTACT_ID}`,
        resourceId: CONTACT_ID,
        eventCategory: 'CONTACT',
        eventType: 'CREATE',
      }),
      event({ resourceId: CONTACT_ID, eventCategory: 'CONTACT', eventType: 'UPDATE' }),
    ]);
    const result = await verify(delivery(body));
    expect(verifier.source).toBe('xero');
    expect(result).toEqual({
      ok: true,
      respond: { status: 200, body: '' },
      events: [
        {
          eventId: expect.stringMatching(/^xero:[0-9a-f]{64}$/),
          type: 'INVOICE.UPDATE',
          occurredAt: new Date('2026-11-23T09:59:58.123Z'),
          changes: [{ kind: 'invoice', externalId: INVOICE_ID }],
        },
        {
          eventId: expect.stringMatching(/^xero:[0-9a-f]{64}$/),
          type: 'CONTACT.CREATE',
          occurredAt: new Date('2026-11-23T09:59:58.123Z'),
          changes: [{ kind: 'person', externalId: CONTACT_ID, created: true }],
        },
        {
          eventId: expect.stringMatching(/^xero:[0-9a-f]{64}$/),
          type: 'CONTACT.UPDATE',
          occurredAt: new Date('2026-11-23T09:59:58.123Z'),
          changes: [{ kind: 'person', externalId: CONTACT_ID }],
        },
      ],
    });
    if (result.ok) expect(new Set(result.events.map((e) => e.eventId)).size).toBe(3);
  });

  it('accepts the intent-to-receive probe (no events) with 200 and an empty body', async () => {
    expect(await verify(delivery(batch([])))).toEqual({
      ok: true,
      events: [],
      respond: { status: 200, body: '' },
    });
  });

  it('gives a redelivered event the same id, whatever batch (sequence, entropy) carries it', async () => {
    const first = await verify(delivery(batch([event()], 1)));
    const again = await verify(
      delivery(
        JSON.stringify({ events: [event()], firstEventSequence: 9, lastEventSequence: 9, entropy: 'ZZZZ' }),
      ),
    );
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.events[0]?.eventId).toBe(first.events[0]?.eventId);
    expect(first.events[0]?.eventId).toBe(
      xeroEventId({
        tenantId: TENANT,
        eventCategory: 'INVOICE',
        eventType: 'UPDATE',
        resourceId: INVOICE_ID,
        eventDateUtc: '2026-11-23T09:59:58.123',
      }),
    );
    // A later change of the same invoice, or the same change in another organisation, is new.
    const later = await verify(delivery(batch([event({ eventDateUtc: '2026-11-23T10:04:00.001' })])));
    const otherTenant = await verify(
      delivery(batch([event({ tenantId: '11111111-2222-4333-8444-555555555555' })])),
    );
    if (later.ok && otherTenant.ok) {
      expect(later.events[0]?.eventId).not.toBe(first.events[0]?.eventId);
      expect(otherTenant.events[0]?.eventId).not.toBe(first.events[0]?.eventId);
    } else expect.fail('expected both to verify');
  });

  it('collapses the same event twice in one batch', async () => {
    const result = await verify(delivery(batch([event(), event()])));
    expect(result.ok && result.events.length).toBe(1);
  });

  it('rejects a tampered body with 401', async () => {
    const body = batch([event()]);
    const tampered = body.replace(INVOICE_ID, 'b3b5c7d9-1e2f-4a6b-8c0d-2e4f6a8b0c1d');
    rejected(await verify(delivery(tampered, sign(KEY, body))), 401, /does not match the HMAC-SHA256/);
    // Whitespace counts: the signature covers the raw bytes, not the JSON.
    rejected(await verify(delivery(`${body}\n`, sign(KEY, body))), 401, /does not match/);
  });

  it('rejects a signature made with another key with 401', async () => {
    const body = batch([event()]);
    rejected(await verify(delivery(body, sign(`${KEY}-wrong`, body))), 401, /does not match/);
    rejected(await verify(delivery(body, sign(KEY, body).toLowerCase())), 401, /does not match/);
    // The hex digest of the right HMAC is not Xero's format.
    const hex = createHmac('sha256', KEY).update(body).digest('hex');
    rejected(await verify(delivery(body, hex)), 401, /does not match/);
  });

  it('rejects a missing, empty or repeated signature header with 401', async () => {
    const body = batch([event()]);
    rejected(await verify({ ...delivery(body), headers: {} }), 401, /no x-xero-signature/);
    rejected(await verify(delivery(body, '')), 401, /no x-xero-signature/);
    rejected(await verify(delivery(body, [sign(KEY, body), sign(KEY, body)])), 401, /more than one/);
  });

  it('rejects everything when no webhook key is configured', async () => {
    const body = batch([event()]);
    const unkeyed = createXeroWebhookVerifier({ webhookKey: '' });
    rejected(
      await Promise.resolve(unkeyed.verify(delivery(body, sign('', body)))),
      401,
      /no Xero webhook key/,
    );
  });

  it('rejects an unsigned malformed body with 401, not 400', async () => {
    rejected(await verify(delivery('{not json', 'bm90IGEgc2lnbmF0dXJl')), 401, /does not match/);
  });

  it.each([
    ['not JSON', '{"events": [', /not JSON/],
    ['an empty body', '', /not JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['no events list', JSON.stringify({ firstEventSequence: 1 }), /"events" is not a list/],
    ['a bad sequence', JSON.stringify({ events: [], firstEventSequence: 'one' }), /firstEventSequence/],
    ['an event that is not an object', batch(['INVOICE']), /events\[0\] is not an object/],
    ['an event without resourceId', batch([event({ resourceId: undefined })]), /events\[0\]\.resourceId/],
    ['an event without tenantId', batch([event({ tenantId: 42 })]), /events\[0\]\.tenantId/],
    [
      'an unparseable eventDateUtc',
      batch([event({ eventDateUtc: 'yesterday' })]),
      /eventDateUtc "yesterday"/,
    ],
  ])('rejects a correctly signed body with %s with 400', async (_what, body, reason) => {
    rejected(await verify(delivery(body)), 400, reason);
  });

  it('reads eventDateUtc with a zone or seven fractional digits, and stores unknown categories without changes', async () => {
    const result = await verify(
      delivery(
        batch([
          event({ eventDateUtc: '2026-11-23T09:59:58.1234567' }),
          event({
            eventDateUtc: '2026-11-23T10:59:58+01:00',
            eventCategory: 'SUBSCRIPTION',
            resourceId: 'sub_1',
          }),
        ]),
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      events: [
        { occurredAt: new Date('2026-11-23T09:59:58.123Z'), type: 'INVOICE.UPDATE' },
        { occurredAt: new Date('2026-11-23T09:59:58Z'), type: 'SUBSCRIPTION.UPDATE', changes: [] },
      ],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the Xero sandbox subscribes a real receiver (intent-to-receive), then delivers.

interface Received {
  delivery: WebhookDelivery;
  result: VerifyResult;
}

/** The hub's intake in miniature: raw body in, the verifier's status (and empty body) out. */
async function startReceiver(verifier: WebhookVerifier) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery: WebhookDelivery = {
        method: req.method ?? 'POST',
        url: `http://${req.headers.host}${req.url}`,
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        now: new Date(),
      };
      void Promise.resolve(verifier.verify(delivery)).then((result) => {
        received.push({ delivery, result });
        const status = result.ok ? (result.respond?.status ?? 200) : result.status;
        res.writeHead(status).end(result.ok ? (result.respond?.body ?? '') : '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/xero`,
    received,
    /** Accepted deliveries that carried events (the intent-to-receive probes carry none). */
    accepted: () => received.filter((r) => r.result.ok && r.result.events.length > 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('deliveries from the Xero sandbox', () => {
  const business = generateBusiness({ now: new Date('2026-11-23T00:00:00Z') });
  const customers = new Map(business.customers.map((c) => [c.key, c]));
  let sandbox: VendorSandbox;
  let webhookKey: string;
  const receivers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    sandbox = await startXeroSandbox({ business, webhooks: { retryBaseMs: 20, retryMaxMs: 200 } });
    webhookKey = sandbox.credentials.webhookKey as string;
  });
  afterAll(async () => {
    await sandbox.close();
  });
  afterEach(async () => {
    await admin('DELETE', '/__sandbox/webhooks/subscription');
    await admin('POST', '/__sandbox/webhooks/settings', { duplicate: 0 });
    await admin('POST', '/__sandbox/reset');
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  async function admin(method: string, path: string, body?: unknown) {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async function subscribed(key = webhookKey) {
    const receiver = await startReceiver(createXeroWebhookVerifier({ webhookKey: key }));
    receivers.push(receiver);
    const subscribe = await admin('POST', '/__sandbox/webhooks/subscribe', { url: receiver.url });
    return { receiver, subscribe };
  }

  /** An approved, unpaid sales invoice of a customer who is a Xero contact. */
  const unpaid = business.invoices.find(
    (i) =>
      i.status === 'AUTHORISED' &&
      i.payments.length === 0 &&
      customerAt(customers.get(i.customerKey)!, 'xero') !== undefined,
  )!;

  it('passes intent-to-receive: 200 with an empty body for the signed probe, 401 for the forged one', async () => {
    const { receiver, subscribe } = await subscribed();
    expect(subscribe).toMatchObject({ status: 200, body: { status: 'OK', subscription: { status: 'OK' } } });
    expect(receiver.received.map((r) => (r.result.ok ? 200 : r.result.status))).toEqual([200, 401]);
    expect(receiver.received[0]?.result).toEqual({
      ok: true,
      events: [],
      respond: { status: 200, body: '' },
    });
    expect((await admin('GET', '/__sandbox/webhooks/subscription')).body.subscription).toMatchObject({
      status: 'OK',
      url: receiver.url,
    });
  });

  it('fails intent-to-receive when the receiver holds the wrong key', async () => {
    const { subscribe } = await subscribed(`${webhookKey}-old`);
    expect(subscribe).toMatchObject({ status: 400, body: { status: 'FAILED', step: 'correctly-signed' } });
  });

  it('accepts the delivery of an invoice paid in the Xero app, with the invoice change', async () => {
    expect(unpaid).toBeDefined();
    const { receiver } = await subscribed();
    const paid = await admin('POST', '/__sandbox/actions/pay-invoice', {
      invoiceId: unpaid.ids.xeroInvoiceId,
    });
    expect(paid.status).toBe(200);
    expect(paid.body.invoice.Status).toBe('PAID');
    await sandbox.webhooks.idle();

    const [delivery, ...more] = receiver.accepted();
    expect(more).toEqual([]);
    expect(delivery?.result).toEqual({
      ok: true,
      respond: { status: 200, body: '' },
      events: [
        {
          eventId: expect.stringMatching(/^xero:[0-9a-f]{64}$/),
          type: 'INVOICE.UPDATE',
          occurredAt: expect.any(Date),
          changes: [{ kind: 'invoice', externalId: unpaid.ids.xeroInvoiceId }],
        },
      ],
    });
    const sent = JSON.parse(delivery!.delivery.rawBody.toString('utf8'));
    expect(sent.events[0]).toMatchObject({
      tenantId: sandbox.credentials.tenantId,
      eventCategory: 'INVOICE',
    });
    if (delivery?.result.ok) {
      expect(delivery.result.events[0]?.occurredAt.toISOString().replace(/Z$/, '')).toBe(
        sent.events[0].eventDateUtc,
      );
      // The same body with its signature on another key is refused.
      const forged = {
        ...delivery.delivery,
        headers: {
          ...delivery.delivery.headers,
          'x-xero-signature': sign('guess', delivery.delivery.rawBody),
        },
      };
      rejected(await verify(forged), 401, /does not match/);
    }
  });

  it('gives duplicated deliveries the same event ids, and a contact edit a person change', async () => {
    const { receiver } = await subscribed();
    await admin('POST', '/__sandbox/webhooks/settings', { duplicate: 1 });
    // The unpaid invoice's customer is a Xero contact (see `unpaid`).
    const contactId = customers.get(unpaid.customerKey)!.ids.xeroContactId;
    const edited = await admin('POST', '/__sandbox/actions/edit-contact', {
      contactId,
      phone: '+447700900123',
    });
    expect(edited.status).toBe(200);
    await sandbox.webhooks.idle();

    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(2);
    const [a, b] = accepted.map((r) => (r.result.ok ? r.result.events : []));
    expect(a).toEqual(b);
    expect(a).toEqual([
      {
        eventId: expect.stringMatching(/^xero:/),
        type: 'CONTACT.UPDATE',
        occurredAt: expect.any(Date),
        changes: [{ kind: 'person', externalId: contactId }],
      },
    ]);
  });
});
