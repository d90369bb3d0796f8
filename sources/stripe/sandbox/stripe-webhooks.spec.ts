import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startStripeSandbox } from './server.ts';
import { admin, sdkFor, startReceiver, waitFor, type Delivery } from './test-helpers.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
let business: SeedBusiness;
let sandbox: VendorSandbox;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let hookCount = 0;

beforeAll(async () => {
  business = generateBusiness({ now: NOW });
  sandbox = await startStripeSandbox({ business, webhooks: { retryBaseMs: 20 } });
  stripe = sdkFor(sandbox);
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});
beforeEach(async () => {
  await admin(sandbox, '/__sandbox/reset');
  // The kit's reset keeps delivery settings, so put back the ones these tests rely on.
  await admin(sandbox, '/__sandbox/webhooks/settings', { retryBaseMs: 20, duplicate: 0, outOfOrder: false });
  receiver.answer(() => 200);
});
afterEach(async () => {
  for (const endpoint of (await stripe.webhookEndpoints.list({ limit: 100 })).data) {
    await stripe.webhookEndpoints.del(endpoint.id);
  }
});

/** A fresh endpoint on its own receiver path, so tests never see each other's deliveries. */
async function endpoint(enabled_events: Stripe.WebhookEndpointCreateParams.EnabledEvent[] = ['*']) {
  const path = `/hooks/${++hookCount}`;
  const created = await stripe.webhookEndpoints.create({ url: receiver.url(path), enabled_events });
  return { path, secret: created.secret!, id: created.id };
}

const verify = (delivery: Delivery, secret: string) =>
  stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature'] as string, secret);

const seedCustomerId = () => business.customers.find((c) => customerAt(c, 'stripe'))!.ids.stripeCustomerId;

describe('webhook endpoints', () => {
  it('shows the signing secret only on create, and lists, updates and deletes', async () => {
    const created = await stripe.webhookEndpoints.create({
      url: receiver.url('/hooks/manage'),
      enabled_events: ['customer.created', 'payment_intent.succeeded'],
      description: 'hub',
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
    expect(created).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', livemode: false });
    const fetched = await stripe.webhookEndpoints.retrieve(created.id);
    expect(fetched.secret).toBeUndefined();
    expect((await stripe.webhookEndpoints.list()).data.map((e) => e.id)).toContain(created.id);
    const updated = await stripe.webhookEndpoints.update(created.id, {
      disabled: true,
      enabled_events: ['*'],
    });
    expect(updated).toMatchObject({ status: 'disabled', enabled_events: ['*'] });
    expect(await stripe.webhookEndpoints.del(created.id)).toMatchObject({ id: created.id, deleted: true });
    const gone = await stripe.webhookEndpoints
      .retrieve(created.id)
      .catch((e: Stripe.errors.StripeError) => e);
    expect(gone).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('rejects unknown event types and bad URLs', async () => {
    const badType = await stripe.webhookEndpoints
      .create({ url: receiver.url('/x'), enabled_events: ['customer.exploded' as 'customer.created'] })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(badType).toMatchObject({ statusCode: 400, param: 'enabled_events[0]' });
    const badUrl = await stripe.webhookEndpoints
      .create({ url: 'not a url', enabled_events: ['*'] })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(badUrl).toMatchObject({ statusCode: 400, param: 'url' });
  });
});

describe('signed deliveries', () => {
  it('delivers an API change signed so that stripe.webhooks.constructEvent accepts it', async () => {
    const hook = await endpoint();
    const customer = await stripe.customers.create(
      { email: 'hooked@example.com' },
      { idempotencyKey: 'hook-1' },
    );
    await waitFor(() => receiver.at(hook.path).length === 1);
    const delivery = receiver.at(hook.path)[0]!;
    expect(delivery.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery.headers['content-type']).toContain('application/json');
    const event = verify(delivery, hook.secret);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.created',
      livemode: false,
      pending_webhooks: 1,
      request: { id: customer.lastResponse.requestId, idempotency_key: 'hook-1' },
      data: { object: { id: customer.id, email: 'hooked@example.com' } },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.api_version).toEqual(expect.any(String));

    expect(() =>
      verify({ ...delivery, body: delivery.body.replace('hooked@', 'hacked@') }, hook.secret),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => verify(delivery, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);

    const stored = await stripe.events.retrieve(event.id);
    expect(stored).toMatchObject({ id: event.id, type: 'customer.created', pending_webhooks: 0 });
  });

  it('sends customer.updated with previous_attributes, only to endpoints that listen for it', async () => {
    const all = await endpoint(['customer.updated']);
    const other = await endpoint(['payment_intent.succeeded']);
    const id = seedCustomerId();
    const before = await stripe.customers.retrieve(id);
    await stripe.customers.update(id, { name: 'Renamed Person', metadata: { vip: 'yes' } });
    await sandbox.webhooks.idle();
    expect(receiver.at(other.path)).toHaveLength(0);
    const event = verify(receiver.at(all.path)[0]!, all.secret);
    expect(event.type).toBe('customer.updated');
    expect(event.data.previous_attributes).toEqual({
      name: (before as Stripe.Customer).name,
      metadata: { vip: null },
    });
  });

  it('sends nothing to a disabled endpoint', async () => {
    const hook = await endpoint();
    await stripe.webhookEndpoints.update(hook.id, { disabled: true });
    await stripe.customers.create({ name: 'Quiet' });
    await sandbox.webhooks.idle();
    expect(receiver.at(hook.path)).toHaveLength(0);
  });

  it('sends the payment lifecycle: created, charge.succeeded, succeeded, then refunds', async () => {
    const hook = await endpoint();
    const pi = await stripe.paymentIntents.create({
      amount: 4000,
      currency: 'gbp',
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
      confirm: true,
    });
    await stripe.refunds.create({ payment_intent: pi.id, amount: 1500 });
    await waitFor(() => receiver.at(hook.path).length === 5);
    const events = receiver.at(hook.path).map((d) => verify(d, hook.secret));
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'refund.created',
      'charge.refunded',
    ]);
    const refunded = events[4]!;
    expect(refunded.data.object).toMatchObject({ amount_refunded: 1500 });
    expect(refunded.data.previous_attributes).toMatchObject({ amount_refunded: 0 });

    const listed = await stripe.events.list({ type: 'payment_intent.*', limit: 10 });
    expect(listed.data.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'payment_intent.created']);
  });

  it('sends payment_failed and charge.failed for a declined card', async () => {
    const hook = await endpoint(['payment_intent.payment_failed', 'charge.failed']);
    await stripe.paymentIntents
      .create({
        amount: 4000,
        currency: 'gbp',
        payment_method: 'pm_card_chargeDeclined',
        allowed_payment_method_types: ['card'],
        confirm: true,
      })
      .catch(() => undefined);
    await waitFor(() => receiver.at(hook.path).length === 2);
    expect(receiver.at(hook.path).map((d) => verify(d, hook.secret).type)).toEqual([
      'charge.failed',
      'payment_intent.payment_failed',
    ]);
  });
});

describe('admin actions', () => {
  it('edit-customer changes the customer and emits customer.updated with no request id', async () => {
    const hook = await endpoint();
    const id = seedCustomerId();
    const res = await admin(sandbox, '/__sandbox/actions/edit-customer', {
      customer: id,
      email: 'new@example.com',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, email: 'new@example.com' });
    await waitFor(() => receiver.at(hook.path).length === 1);
    const event = verify(receiver.at(hook.path)[0]!, hook.secret);
    expect(event).toMatchObject({ type: 'customer.updated', request: { id: null, idempotency_key: null } });
    expect((await stripe.customers.retrieve(id)) as Stripe.Customer).toMatchObject({
      email: 'new@example.com',
    });
  });

  it('succeed-payment settles a processing payment', async () => {
    const hook = await endpoint();
    const order = business.orders.find((o) => o.status === 'processing')!;
    const res = await admin(sandbox, '/__sandbox/actions/succeed-payment', {
      payment_intent: order.ids.stripePaymentIntentId,
    });
    expect(res.body).toMatchObject({
      id: order.ids.stripePaymentIntentId,
      status: 'succeeded',
      amount_received: order.amount,
    });
    await waitFor(() => receiver.at(hook.path).length === 2);
    expect(receiver.at(hook.path).map((d) => verify(d, hook.secret).type)).toEqual([
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const again = await admin(sandbox, '/__sandbox/actions/succeed-payment', {
      payment_intent: order.ids.stripePaymentIntentId,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toContain('only a processing one');
  });

  it('refund-order refunds through the same rules as the API', async () => {
    const hook = await endpoint(['charge.refunded']);
    const order = business.orders.find((o) => o.status === 'succeeded' && o.refunded === 0)!;
    const res = await admin(sandbox, '/__sandbox/actions/refund-order', {
      payment_intent: order.ids.stripePaymentIntentId,
      amount: 100,
    });
    expect(res.body).toMatchObject({
      refund: { amount: 100, charge: order.ids.stripeChargeId },
      charge: { amount_refunded: 100 },
    });
    await waitFor(() => receiver.at(hook.path).length === 1);
    expect(verify(receiver.at(hook.path)[0]!, hook.secret).type).toBe('charge.refunded');
    const tooMuch = await admin(sandbox, '/__sandbox/actions/refund-order', {
      payment_intent: order.ids.stripePaymentIntentId,
      amount: order.amount,
    });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toContain('greater than unrefunded amount');
  });

  it('validates admin input with clear 400s and 404s', async () => {
    expect((await admin(sandbox, '/__sandbox/actions/edit-customer', { name: 'x' })).body).toEqual({
      error: '"customer" is required',
    });
    expect(
      (await admin(sandbox, '/__sandbox/actions/edit-customer', { customer: 'cus_x', colour: 'red' })).status,
    ).toBe(400);
    const missing = await admin(sandbox, '/__sandbox/actions/edit-customer', {
      customer: 'cus_x',
      name: 'x',
    });
    expect(missing).toEqual({ status: 404, body: { error: "No such customer: 'cus_x'" } });
    expect(
      (await admin(sandbox, '/__sandbox/actions/refund-order', { payment_intent: 'pi_x', amount: -1 }))
        .status,
    ).toBe(400);
  });

  it('registers an endpoint with the documented fixed secret', async () => {
    const res = await admin(sandbox, '/__sandbox/webhook-endpoints', { url: receiver.url('/hooks/fixed') });
    expect(res.body).toMatchObject({ secret: sandbox.credentials.webhookSecret, enabled_events: ['*'] });
    await stripe.customers.create({ name: 'Fixed Secret' });
    await waitFor(() => receiver.at('/hooks/fixed').length === 1);
    expect(verify(receiver.at('/hooks/fixed')[0]!, sandbox.credentials.webhookSecret!).type).toBe(
      'customer.created',
    );
  });
});

describe('delivery behaviour', () => {
  it('retries after the receiver answers 500, re-signing each attempt', async () => {
    const hook = await endpoint();
    receiver.answer((d) => (d.path === hook.path && receiver.at(hook.path).length === 1 ? 500 : 200));
    await stripe.customers.create({ name: 'Retry Me' });
    await waitFor(() => receiver.at(hook.path).length === 2);
    await sandbox.webhooks.idle();
    const [first, second] = receiver.at(hook.path);
    expect(first!.body).toBe(second!.body);
    expect(verify(second!, hook.secret).type).toBe('customer.created');
    const log = sandbox.webhooks.log().filter((d) => d.url === receiver.url(hook.path));
    expect(log).toMatchObject([{ state: 'delivered', attempts: 2, lastStatus: 200 }]);
  });

  it('delivers the same event twice in duplicate mode', async () => {
    const hook = await endpoint();
    await admin(sandbox, '/__sandbox/webhooks/settings', { duplicate: 1 });
    await stripe.customers.create({ name: 'Twice' });
    await waitFor(() => receiver.at(hook.path).length === 2);
    const [a, b] = receiver.at(hook.path).map((d) => verify(d, hook.secret));
    expect(a!.id).toBe(b!.id);
  });

  it('holds deliveries in out-of-order mode and releases them newest first', async () => {
    const hook = await endpoint();
    await admin(sandbox, '/__sandbox/webhooks/settings', { outOfOrder: true });
    const customer = await stripe.customers.create({ name: 'Order Test' });
    await stripe.customers.update(customer.id, { name: 'Order Test 2' });
    await sandbox.webhooks.idle();
    expect(receiver.at(hook.path)).toHaveLength(0);
    expect((await admin(sandbox, '/__sandbox/webhooks/flush')).body).toEqual({ released: 2 });
    await waitFor(() => receiver.at(hook.path).length === 2);
    expect(receiver.at(hook.path).map((d) => verify(d, hook.secret).type)).toEqual([
      'customer.updated',
      'customer.created',
    ]);
  });

  it('emits no webhooks when reseeding', async () => {
    const hook = await endpoint();
    await admin(sandbox, '/__sandbox/reset');
    await sandbox.webhooks.idle();
    expect(receiver.at(hook.path)).toHaveLength(0);
    expect((await stripe.events.list()).data).toHaveLength(0);
  });
});
