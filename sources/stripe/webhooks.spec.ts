import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { VerifyResult, WebhookDelivery } from '../../src/webhooks/types.ts';
import { startStripeSandbox } from './sandbox/server.ts';
import { admin, waitFor } from './sandbox/test-helpers.ts';
import { createStripeSource, type StripeSource } from './source.ts';
import { createStripeWebhookVerifier } from './webhooks.ts';

// Deliveries are signed with stripe-node's own test helper (`generateTestHeaderString`).
const stripe = new Stripe('sk_test_signing_only');
const SECRET = 'whsec_current_secret';
const OLD_SECRET = 'whsec_previous_secret';
const NOW = new Date('2026-11-23T12:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);

const event = (type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'evt_1SwitchboardTest',
  object: 'event',
  api_version: '2026-10-28.endive',
  created: T - 5,
  data: { object, ...extra },
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type,
});

/** A delivery as Stripe sends it: the event pretty-printed, signed at `timestamp` with `secret`. */
function delivery(
  body: string | object,
  { secret = SECRET, timestamp = T, header }: { secret?: string; timestamp?: number; header?: string } = {},
): WebhookDelivery {
  const payload = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  return {
    method: 'POST',
    url: 'https://hub.example.com/webhooks/stripe',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': header ?? stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
    },
    rawBody: Buffer.from(payload, 'utf8'),
    now: NOW,
  };
}

const verifier = createStripeWebhookVerifier({ secrets: () => [SECRET] });

function rejected(result: VerifyResult, status = 400): string {
  expect(result).toMatchObject({ ok: false, status });
  return result.ok ? '' : result.reason;
}

describe('createStripeWebhookVerifier: signatures', () => {
  it('accepts a delivery signed by stripe-node and agrees with stripe.webhooks.constructEvent', async () => {
    const d = delivery(event('customer.created', { id: 'cus_A1', object: 'customer' }));
    const result = await verifier.verify(d);
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: 'evt_1SwitchboardTest',
          type: 'customer.created',
          occurredAt: new Date((T - 5) * 1000),
          changes: [{ kind: 'person', externalId: 'cus_A1', created: true }],
        },
      ],
    });
    const header = d.headers['stripe-signature'] as string;
    expect(stripe.webhooks.constructEvent(d.rawBody, header, SECRET, 300, undefined, NOW.getTime()).id).toBe(
      'evt_1SwitchboardTest',
    );
  });

  it('rejects a tampered body', async () => {
    const d = delivery(event('customer.created', { id: 'cus_A1' }));
    d.rawBody = Buffer.from(d.rawBody.toString('utf8').replace('cus_A1', 'cus_B2'));
    expect(rejected(await verifier.verify(d))).toBe(
      'Stripe-Signature has no v1 signature matching the endpoint secret',
    );
  });

  it('verifies the bytes as received: re-serialised JSON of the same event does not verify', async () => {
    const body = event('customer.updated', { id: 'cus_A1', name: 'Zoë Ünïcode' });
    const d = delivery(body);
    d.rawBody = Buffer.from(JSON.stringify(body));
    rejected(await verifier.verify(d));
  });

  it('rejects a delivery signed with another secret', async () => {
    const d = delivery(event('customer.created', { id: 'cus_A1' }), { secret: 'whsec_someone_else' });
    expect(rejected(await verifier.verify(d))).toContain('no v1 signature matching');
  });

  it('rejects stale and future timestamps beyond the tolerance, accepts at the edge', async () => {
    const body = event('customer.created', { id: 'cus_A1' });
    expect(rejected(await verifier.verify(delivery(body, { timestamp: T - 301 })))).toBe(
      'Stripe-Signature timestamp is 301 s old, beyond the 300 s tolerance',
    );
    expect(rejected(await verifier.verify(delivery(body, { timestamp: T + 301 })))).toContain(
      'in the future',
    );
    expect((await verifier.verify(delivery(body, { timestamp: T - 300 }))).ok).toBe(true);
    expect((await verifier.verify(delivery(body, { timestamp: T + 300 }))).ok).toBe(true);

    const strict = createStripeWebhookVerifier({ secrets: () => [SECRET], toleranceSeconds: 10 });
    rejected(await strict.verify(delivery(body, { timestamp: T - 11 })));
    expect((await strict.verify(delivery(body, { timestamp: T - 10 }))).ok).toBe(true);
    expect(() => createStripeWebhookVerifier({ secrets: () => [], toleranceSeconds: 0 })).toThrow(RangeError);
  });

  it('accepts old and new secrets during rotation, with two v1 signatures in one header', async () => {
    const payload = JSON.stringify(event('payment_intent.created', { id: 'pi_1' }), null, 2);
    const sig = (secret: string) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: T }).split('v1=')[1];
    // Stripe signs with every active secret of the endpoint while a rolled one is still valid.
    const header = `t=${T},v1=${sig(SECRET)},v1=${sig(OLD_SECRET)}`;
    const d = delivery(payload, { header });
    for (const secrets of [[SECRET], [OLD_SECRET], [OLD_SECRET, SECRET]]) {
      expect((await createStripeWebhookVerifier({ secrets: () => secrets }).verify(d)).ok).toBe(true);
    }
    rejected(await createStripeWebhookVerifier({ secrets: () => ['whsec_other'] }).verify(d));

    // The hub holding both secrets (async) accepts a delivery signed with either one alone.
    const both = createStripeWebhookVerifier({ secrets: async () => [SECRET, OLD_SECRET] });
    expect((await both.verify(delivery(payload, { secret: OLD_SECRET }))).ok).toBe(true);
    expect((await both.verify(delivery(payload, { secret: SECRET }))).ok).toBe(true);
  });

  it('rejects missing and garbled Stripe-Signature headers', async () => {
    const payload = JSON.stringify(event('customer.created', { id: 'cus_A1' }));
    const good = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: T });
    const v1 = good.split('v1=')[1]!;
    const cases: Array<[IncomingHttpHeaders, string]> = [
      [{}, 'the Stripe-Signature header is missing'],
      [{ 'stripe-signature': '' }, 'the Stripe-Signature header is missing'],
      [{ 'stripe-signature': [good, good] }, 'the Stripe-Signature header was sent more than once'],
      [{ 'stripe-signature': `v1=${v1}` }, 'Stripe-Signature has no timestamp (t=)'],
      [{ 'stripe-signature': `t=${T}` }, 'Stripe-Signature has no v1 signature'],
      [{ 'stripe-signature': `t=${T},v0=${v1}` }, 'Stripe-Signature has no v1 signature'],
      [{ 'stripe-signature': `t=soon,v1=${v1}` }, 'Stripe-Signature timestamp "soon" is not a unix time'],
      [{ 'stripe-signature': `t=${T},t=${T},v1=${v1}` }, 'Stripe-Signature has more than one timestamp'],
      [{ 'stripe-signature': 'garbage' }, 'Stripe-Signature has an element without a scheme: "garbage"'],
      [{ 'stripe-signature': `t=${T},v1=${v1.slice(0, 10)}` }, 'no v1 signature matching'],
      [{ 'stripe-signature': `t=${T},v1=${v1.toUpperCase()}` }, 'no v1 signature matching'],
    ];
    for (const [headers, reason] of cases) {
      const d = { ...delivery(payload), headers };
      expect(rejected(await verifier.verify(d))).toContain(reason);
    }
    // Header names are matched case-insensitively; extra whitespace and unknown schemes are tolerated.
    const spaced = { ...delivery(payload), headers: { 'Stripe-Signature': `t=${T}, v0=abc, v1=${v1}` } };
    expect((await verifier.verify(spaced)).ok).toBe(true);
  });

  it('answers 500 when the hub has no secret or cannot load it (Stripe retries)', async () => {
    const d = delivery(event('customer.created', { id: 'cus_A1' }));
    expect(rejected(await createStripeWebhookVerifier({ secrets: () => [] }).verify(d), 500)).toBe(
      'no Stripe endpoint secret is configured',
    );
    const failing = createStripeWebhookVerifier({
      secrets: async () => {
        throw new Error('vault unavailable');
      },
    });
    expect(rejected(await failing.verify(d), 500)).toContain('vault unavailable');
  });
});

describe('createStripeWebhookVerifier: bodies', () => {
  it('rejects a signed body that is not a Stripe event', async () => {
    const cases: Array<[string, string]> = [
      ['{"id": "evt_1", "type":', 'the body is not valid JSON'],
      ['', 'the body is not valid JSON'],
      ['[]', 'the body is not a Stripe event object'],
      [JSON.stringify({ type: 'customer.created', created: T }), 'the event has no id'],
      [JSON.stringify({ id: 'evt_1', created: T }), 'the event has no type'],
      [
        JSON.stringify({ id: 'evt_1', type: 'customer.created' }),
        'the event has no created time (unix seconds)',
      ],
      [
        JSON.stringify({ id: 'evt_1', type: 'customer.created', created: T, data: {} }),
        'customer.created event has no data.object.id',
      ],
      [
        JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', created: T, data: { object: {} } }),
        'payment_intent.succeeded event has no data.object.id',
      ],
    ];
    for (const [body, reason] of cases) {
      expect(rejected(await verifier.verify(delivery(body)))).toBe(`malformed Stripe event: ${reason}`);
    }
  });

  it('never throws, whatever arrives', async () => {
    const odd: WebhookDelivery[] = [
      { ...delivery('{}'), headers: { 'stripe-signature': ',,,' } },
      { ...delivery('\u0000\uffff'), headers: { 'stripe-signature': `t=${'9'.repeat(40)},v1=00` } },
      delivery('null'),
      delivery('"evt"'),
      delivery(JSON.stringify({ id: 'evt_1', type: 'charge.refunded', created: T, data: null })),
    ];
    for (const d of odd) await expect(Promise.resolve(verifier.verify(d))).resolves.toBeDefined();
  });

  const changesFor = async (body: object) => {
    const result = await verifier.verify(delivery(body));
    if (!result.ok) throw new Error(result.reason);
    expect(result.events).toHaveLength(1);
    return result.events[0]!.changes;
  };

  it('maps customer events to person changes', async () => {
    expect(await changesFor(event('customer.created', { id: 'cus_1' }))).toEqual([
      { kind: 'person', externalId: 'cus_1', created: true },
    ]);
    expect(
      await changesFor(
        event(
          'customer.updated',
          { id: 'cus_1', email: 'new@example.com' },
          { previous_attributes: { email: 'old@example.com', metadata: { vip: null } } },
        ),
      ),
    ).toEqual([{ kind: 'person', externalId: 'cus_1', fields: ['email', 'metadata'] }]);
    expect(await changesFor(event('customer.deleted', { id: 'cus_1', deleted: true }))).toEqual([
      { kind: 'person', externalId: 'cus_1', deleted: true },
    ]);
  });

  it('maps payment intent, charge and refund events to the payment intent', async () => {
    expect(await changesFor(event('payment_intent.succeeded', { id: 'pi_1', status: 'succeeded' }))).toEqual([
      { kind: 'order', externalId: 'pi_1', succeeded: true },
    ]);
    for (const type of [
      'payment_intent.created',
      'payment_intent.payment_failed',
      'payment_intent.canceled',
    ]) {
      expect(await changesFor(event(type, { id: 'pi_2' }))).toEqual([{ kind: 'order', externalId: 'pi_2' }]);
    }
    expect(await changesFor(event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_3' }))).toEqual([
      { kind: 'order', externalId: 'pi_3' },
    ]);
    expect(await changesFor(event('refund.created', { id: 're_1', payment_intent: 'pi_4' }))).toEqual([
      { kind: 'order', externalId: 'pi_4' },
    ]);
    expect(await changesFor(event('charge.dispute.created', { id: 'dp_1', payment_intent: 'pi_5' }))).toEqual(
      [{ kind: 'order', externalId: 'pi_5' }],
    );
    // A charge made without a payment intent (the legacy Charges API) is no order of the hub's.
    expect(await changesFor(event('charge.succeeded', { id: 'ch_2', payment_intent: null }))).toEqual([]);
  });

  it('maps checkout session events to the payment link, by the session id', async () => {
    for (const type of [
      'checkout.session.completed',
      'checkout.session.expired',
      'checkout.session.async_payment_succeeded',
      'checkout.session.async_payment_failed',
    ]) {
      expect(
        await changesFor(
          event(type, { id: 'cs_test_1', object: 'checkout.session', payment_intent: 'pi_9' }),
        ),
      ).toEqual([{ kind: 'paymentLink', externalId: 'cs_test_1' }]);
    }
    expect(rejected(await verifier.verify(delivery(event('checkout.session.completed', {}))))).toBe(
      'malformed Stripe event: checkout.session.completed event has no data.object.id',
    );
    // Other checkout events (none the hub acts on) are acknowledged without changes.
    expect(await changesFor(event('checkout.session.created', { id: 'cs_test_2' }))).toEqual([]);
  });

  it('keeps unknown types as acknowledged events without changes', async () => {
    const result = await verifier.verify(delivery(event('invoice.paid', { id: 'in_1' })));
    expect(result).toMatchObject({
      ok: true,
      events: [{ eventId: 'evt_1SwitchboardTest', type: 'invoice.paid', changes: [] }],
    });
    // Not a customer: its object is a subscription.
    expect(
      await changesFor(event('customer.subscription.created', { id: 'sub_1', customer: 'cus_1' })),
    ).toEqual([]);
  });

  it('gives every retry of an event the same event id', async () => {
    const body = event('customer.created', { id: 'cus_1' });
    const first = await verifier.verify(delivery(body, { timestamp: T - 200 }));
    const retry = await verifier.verify(delivery(body, { timestamp: T }));
    expect(first.ok && retry.ok && first.events[0]!.eventId === retry.events[0]!.eventId).toBe(true);
  });
});

describe('against the Stripe sandbox', () => {
  const business = generateBusiness({ now: new Date('2026-11-23T00:00:00Z') });
  let sandbox: VendorSandbox;
  let source: StripeSource;
  let sdk: Stripe;
  let server: Server;
  let origin: string;
  let receiverUrl: string;
  const received: WebhookDelivery[] = [];

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ business, webhooks: { retryBaseMs: 20 } });
    source = createStripeSource({ baseUrl: sandbox.url, apiKey: sandbox.credentials.apiKey! });
    sdk = new Stripe(sandbox.credentials.apiKey!, {
      host: '127.0.0.1',
      port: sandbox.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    // The hub's receiving end: a real HTTP server that keeps each delivery byte for byte.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? 'POST',
          url: `${origin}${req.url ?? '/'}`,
          headers: req.headers,
          rawBody: Buffer.concat(chunks),
          now: new Date(),
        });
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    receiverUrl = `${origin}/webhooks/stripe`;
  });
  afterEach(async () => {
    // Endpoints survive the sandbox's reset: leave none behind.
    for (const e of (await sdk.webhookEndpoints.list({ limit: 100 })).data)
      await sdk.webhookEndpoints.del(e.id);
    received.length = 0;
  });
  afterAll(async () => {
    await source.close();
    await sandbox.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('registers an endpoint whose deliveries verify with the returned secret', async () => {
    const endpoint = await source.ensureWebhookEndpoint(receiverUrl);
    expect(endpoint).toEqual({ id: expect.stringMatching(/^we_/), secret: expect.stringMatching(/^whsec_/) });
    const listed = (await sdk.webhookEndpoints.list()).data;
    expect(listed).toMatchObject([{ id: endpoint.id, url: receiverUrl, enabled_events: ['*'] }]);

    const customer = business.customers.find((c) => customerAt(c, 'stripe'))!.ids.stripeCustomerId!;
    const res = await admin(sandbox, '/__sandbox/actions/edit-customer', {
      customer,
      email: 'moved@example.com',
    });
    expect(res.status).toBe(200);
    await waitFor(() => received.length === 1);

    const hub = createStripeWebhookVerifier({ secrets: () => [endpoint.secret] });
    const result = await hub.verify(received[0]!);
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: expect.stringMatching(/^evt_/),
          type: 'customer.updated',
          occurredAt: expect.any(Date),
          changes: [{ kind: 'person', externalId: customer, fields: ['email'] }],
        },
      ],
    });
    const eventId = result.ok ? result.events[0]!.eventId : '';
    expect((await sdk.events.retrieve(eventId)).type).toBe('customer.updated');
    // Another endpoint's secret (the sandbox's fixed one) does not verify it.
    rejected(
      await createStripeWebhookVerifier({ secrets: () => [sandbox.credentials.webhookSecret!] }).verify(
        received[0]!,
      ),
    );
  });

  it('reports a deposit paid on the hosted page as the order and then the payment link', async () => {
    const endpoint = await source.ensureWebhookEndpoint(receiverUrl, [
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
    const session = await sdk.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        {
          price_data: { currency: 'gbp', unit_amount: 2500, product_data: { name: 'Deposit' } },
          quantity: 1,
        },
      ],
      customer_email: 'deposit@example.com',
      success_url: 'https://studio.example/done',
    });
    const paid = await fetch(`${session.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    await waitFor(() => received.length === 2);
    const hub = createStripeWebhookVerifier({ secrets: () => [endpoint.secret] });
    const results = await Promise.all(received.map((d) => hub.verify(d)));
    const pi = (await sdk.checkout.sessions.retrieve(session.id)).payment_intent as string;
    expect(results.map((r) => (r.ok ? r.events[0]!.changes : r.reason))).toEqual([
      [{ kind: 'order', externalId: pi, succeeded: true }],
      [{ kind: 'paymentLink', externalId: session.id }],
    ]);
  });

  it('reports a settled payment as a succeeded order', async () => {
    const endpoint = await source.ensureWebhookEndpoint(receiverUrl, ['payment_intent.succeeded']);
    const order = business.orders.find((o) => o.status === 'processing')!;
    await admin(sandbox, '/__sandbox/actions/succeed-payment', {
      payment_intent: order.ids.stripePaymentIntentId,
    });
    await waitFor(() => received.length === 1);
    const result = await createStripeWebhookVerifier({ secrets: () => [endpoint.secret] }).verify(
      received[0]!,
    );
    expect(result).toMatchObject({
      ok: true,
      events: [
        {
          type: 'payment_intent.succeeded',
          changes: [{ kind: 'order', externalId: order.ids.stripePaymentIntentId, succeeded: true }],
        },
      ],
    });
  });

  it('keeps an existing endpoint when the secret is known, updating its events', async () => {
    const first = await source.ensureWebhookEndpoint(receiverUrl, ['customer.created']);
    const again = await source.ensureWebhookEndpoint(receiverUrl, ['customer.created'], first.secret);
    expect(again).toEqual(first);
    const widened = await source.ensureWebhookEndpoint(
      receiverUrl,
      ['customer.created', 'customer.updated'],
      first.secret,
    );
    expect(widened).toEqual(first);
    const listed = (await sdk.webhookEndpoints.list()).data;
    expect(listed).toHaveLength(1);
    expect(listed[0]!.enabled_events).toEqual(['customer.created', 'customer.updated']);
  });

  it('gets the same endpoint and secret back after losing the secret (idempotent create)', async () => {
    const first = await source.ensureWebhookEndpoint(receiverUrl);
    // A hub that crashed before storing the secret asks again: Stripe replays the create.
    const again = await source.ensureWebhookEndpoint(receiverUrl);
    expect(again).toEqual(first);
    expect((await sdk.webhookEndpoints.list()).data).toHaveLength(1);

    // Once that endpoint is gone, the stored answer is stale: a new endpoint is created.
    await sdk.webhookEndpoints.del(first.id);
    const fresh = await source.ensureWebhookEndpoint(receiverUrl);
    expect(fresh.id).not.toBe(first.id);
    expect((await sdk.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([fresh.id]);
    await sdk.customers.create({ name: 'After Recreate' });
    await waitFor(() => received.length === 1);
    const result = await createStripeWebhookVerifier({ secrets: () => [fresh.secret] }).verify(received[0]!);
    expect(result).toMatchObject({ ok: true, events: [{ type: 'customer.created' }] });
  });
});
