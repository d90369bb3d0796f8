import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startStripeSandbox } from './server.ts';
import { admin, sdkFor } from './test-helpers.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
let business: SeedBusiness;
let sandbox: VendorSandbox;
let stripe: Stripe;

beforeAll(async () => {
  business = generateBusiness({ now: NOW });
  sandbox = await startStripeSandbox({ business });
  stripe = sdkFor(sandbox);
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, '/__sandbox/reset');
});

const seedStripeCustomers = () => business.customers.filter((c) => customerAt(c, 'stripe'));
const seedOrder = (status: string) => {
  const order = business.orders.find(
    (o) =>
      o.status === status &&
      customerAt(
        business.customers.find((c) => c.key === o.customerKey)!,
        'stripe',
      ),
  );
  if (!order) throw new Error(`no seed order with status ${status}`);
  return order;
};

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

async function raw(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    body: init.body,
    headers: { authorization: `Bearer ${sandbox.credentials.apiKey}`, ...init.headers },
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error?: Record<string, unknown> },
  };
}

describe('customers', () => {
  it('pages through every seeded customer with autoPagingToArray, newest first', async () => {
    const all = await stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    const seeded = seedStripeCustomers();
    expect(seeded.length).toBeGreaterThan(100);
    expect(all).toHaveLength(seeded.length);
    expect(new Set(all.map((c) => c.id))).toEqual(new Set(seeded.map((c) => c.ids.stripeCustomerId)));
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.created).toBeGreaterThanOrEqual(all[i]!.created);
    const sample = seeded[0]!;
    const at = customerAt(sample, 'stripe')!;
    const found = all.find((c) => c.id === sample.ids.stripeCustomerId)!;
    expect(found).toMatchObject({
      object: 'customer',
      name: `${at.firstName} ${at.lastName}`,
      email: at.email,
      phone: at.phone,
      livemode: false,
      created: Math.floor(sample.createdAt.getTime() / 1000),
    });
  });

  it('leaves out customers the seed says are missing from Stripe', async () => {
    const missing = business.customers.find((c) => !customerAt(c, 'stripe'))!;
    const err = await failure(stripe.customers.retrieve(missing.ids.stripeCustomerId));
    expect(err.statusCode).toBe(404);
  });

  it('walks pages with starting_after and back with ending_before', async () => {
    const first = await stripe.customers.list({ limit: 5 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    const second = await stripe.customers.list({ limit: 5, starting_after: first.data[4]!.id });
    expect(second.data.map((c) => c.id)).not.toContain(first.data[0]!.id);
    const back = await stripe.customers.list({ limit: 5, ending_before: second.data[0]!.id });
    expect(back.data.map((c) => c.id)).toEqual(first.data.map((c) => c.id));
    expect(back.has_more).toBe(false);
  });

  it('filters by email and created, and validates limit', async () => {
    const target = seedStripeCustomers()[7]!;
    const byEmail = await stripe.customers.list({ email: customerAt(target, 'stripe')!.email });
    expect(byEmail.data.map((c) => c.id)).toEqual([target.ids.stripeCustomerId]);

    const cutoff = Math.floor(NOW.getTime() / 1000) - 200 * 86_400;
    const recent = await stripe.customers
      .list({ created: { gte: cutoff }, limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    expect(recent.length).toBe(
      seedStripeCustomers().filter((c) => c.createdAt.getTime() / 1000 >= cutoff).length,
    );

    for (const limit of [0, 101]) {
      const err = await failure(stripe.customers.list({ limit }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err.param).toBe('limit');
    }
  });

  it('creates, retrieves, updates (unsetting metadata and fields) and deletes', async () => {
    const created = await stripe.customers.create({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      description: 'Analytical engines',
      metadata: { crm_id: '42', tier: 'gold' },
      address: { line1: '1 Harbour Lane', city: 'Bristol', country: 'GB' },
    });
    expect(created.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(created.created).toBeGreaterThanOrEqual(Math.floor(NOW.getTime() / 1000));
    expect(await stripe.customers.retrieve(created.id)).toEqual(created);

    const updated = await stripe.customers.update(created.id, {
      name: 'Ada King',
      description: '',
      metadata: { tier: '', note: 'vip' },
    });
    expect(updated).toMatchObject({
      name: 'Ada King',
      description: null,
      metadata: { crm_id: '42', note: 'vip' },
    });
    const cleared = await stripe.customers.update(created.id, { metadata: '' });
    expect(cleared.metadata).toEqual({});

    const newest = await stripe.customers.list({ limit: 1 });
    expect(newest.data[0]!.id).toBe(created.id);

    const deleted = await stripe.customers.del(created.id);
    expect(deleted).toMatchObject({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toMatchObject({ id: created.id, deleted: true });
    const err = await failure(stripe.customers.update(created.id, { name: 'x' }));
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect((await stripe.customers.list({ limit: 1 })).data[0]!.id).not.toBe(created.id);
  });

  it('rejects an invalid email', async () => {
    const err = await failure(stripe.customers.create({ email: 'not-an-email' }));
    expect(err).toMatchObject({ statusCode: 400, param: 'email', code: 'email_invalid' });
  });

  it('searches with exact, substring, metadata and OR clauses', async () => {
    const [a, b] = seedStripeCustomers();
    const emailA = customerAt(a!, 'stripe')!.email;
    const emailB = customerAt(b!, 'stripe')!.email;
    const both = await stripe.customers.search({ query: `email:'${emailA}' OR email:"${emailB}"` });
    expect(both.object).toBe('search_result');
    expect(new Set(both.data.map((c) => c.id))).toEqual(
      new Set([a!.ids.stripeCustomerId, b!.ids.stripeCustomerId]),
    );

    const upper = await stripe.customers.search({ query: `email:'${emailA.toUpperCase()}'` });
    expect(upper.data.map((c) => c.id)).toEqual([a!.ids.stripeCustomerId]);

    const lastName = customerAt(a!, 'stripe')!.lastName;
    const sub = await stripe.customers.search({ query: `name~'${lastName}'`, limit: 100 });
    expect(sub.data.map((c) => c.id)).toContain(a!.ids.stripeCustomerId);
    expect(sub.data.every((c) => c.name!.toLowerCase().includes(lastName.toLowerCase()))).toBe(true);

    const tagged = await stripe.customers.create({ name: 'Meta Data', metadata: { source: 'switchboard' } });
    const meta = await stripe.customers.search({
      query: "metadata['source']:'switchboard' AND name:'meta data'",
    });
    expect(meta.data.map((c) => c.id)).toEqual([tagged.id]);
  });

  it('pages search results with next_page', async () => {
    const query = `created>${Math.floor(NOW.getTime() / 1000) - 400 * 86_400}`;
    const first = await stripe.customers.search({ query, limit: 10 });
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    const all = await stripe.customers.search({ query, limit: 10 }).autoPagingToArray({ limit: 1000 });
    const expected = seedStripeCustomers().filter(
      (c) => c.createdAt.getTime() / 1000 > NOW.getTime() / 1000 - 400 * 86_400,
    );
    expect(all).toHaveLength(expected.length);
    const counted = await stripe.customers.search({ query, expand: ['total_count'] });
    expect((counted as unknown as { total_count: number }).total_count).toBe(expected.length);
  });

  it('answers a bad search query with a 400 that names the problem', async () => {
    const unknown = await failure(stripe.customers.search({ query: "colour:'red'" }));
    expect(unknown).toMatchObject({ statusCode: 400, param: 'query' });
    expect(unknown.message).toContain("Field 'colour' is an unsupported search field");
    const mixed = await failure(stripe.customers.search({ query: "name:'a' AND email:'b' OR phone:'c'" }));
    expect(mixed.message).toContain('cannot mix AND and OR');
    const short = await failure(stripe.customers.search({ query: "name~'ab'" }));
    expect(short.message).toContain('at least 3 characters');
  });
});

describe('payment intents', () => {
  it('loads one payment intent per seed order, with metadata naming the booking and invoice', async () => {
    const all = await stripe.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 5000 });
    expect(all).toHaveLength(business.orders.length);
    const order = business.orders.find((o) => o.invoiceKey && o.bookingKey && o.status === 'succeeded')!;
    const pi = await stripe.paymentIntents.retrieve(order.ids.stripePaymentIntentId);
    const invoice = business.invoices.find((i) => i.key === order.invoiceKey)!;
    expect(pi).toMatchObject({
      amount: order.amount,
      currency: 'gbp',
      status: 'succeeded',
      amount_received: order.amount,
      latest_charge: order.ids.stripeChargeId,
      created: Math.floor(order.createdAt.getTime() / 1000),
      metadata: { invoice_number: invoice.number, booking_ref: order.bookingKey, order_ref: order.key },
    });
    const processing = await stripe.paymentIntents.retrieve(
      seedOrder('processing').ids.stripePaymentIntentId,
      {
        expand: ['latest_charge'],
      },
    );
    expect(processing.status).toBe('processing');
    expect((processing.latest_charge as Stripe.Charge).status).toBe('pending');
  });

  it('creates, updates and confirms a payment with pm_card_visa', async () => {
    const customer = await stripe.customers.create({ name: 'Pay Er', email: 'payer@example.com' });
    const pi = await stripe.paymentIntents.create({
      amount: 6500,
      currency: 'GBP',
      customer: customer.id,
      description: 'Sports massage',
      metadata: { booking_ref: 'book-x' },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(pi).toMatchObject({ status: 'requires_payment_method', currency: 'gbp', latest_charge: null });
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));

    const updated = await stripe.paymentIntents.update(pi.id, {
      amount: 7000,
      metadata: { booking_ref: '' },
    });
    expect(updated).toMatchObject({ amount: 7000, metadata: {} });

    const confirmed = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 7000 });
    expect(confirmed.payment_method).toMatch(/^pm_/);
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string);
    expect(charge).toMatchObject({
      amount: 7000,
      paid: true,
      captured: true,
      customer: customer.id,
      payment_intent: pi.id,
    });
    expect(charge.payment_method_details?.card?.last4).toBe('4242');

    const late = await failure(stripe.paymentIntents.update(pi.id, { amount: 100 }));
    expect(late).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });

    const byCustomer = await stripe.paymentIntents.list({ customer: customer.id });
    expect(byCustomer.data.map((p) => p.id)).toEqual([pi.id]);
    const charges = await stripe.charges.list({ payment_intent: pi.id });
    expect(charges.data.map((c) => c.id)).toEqual([charge.id]);
  });

  it('requires a return_url when redirect-capable automatic payment methods are on', async () => {
    const err = await failure(
      stripe.paymentIntents.create({
        amount: 5000,
        currency: 'gbp',
        payment_method: 'pm_card_visa',
        confirm: true,
      }),
    );
    expect(err).toMatchObject({ statusCode: 400, param: 'return_url' });
    const ok = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'gbp',
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://example.com/done',
    });
    expect(ok.status).toBe('succeeded');
  });

  it('declines pm_card_chargeDeclined with a 402 card_error and leaves the intent retryable', async () => {
    const err = await failure(
      stripe.paymentIntents.create({
        amount: 5000,
        currency: 'gbp',
        payment_method: 'pm_card_chargeDeclined',
        allowed_payment_method_types: ['card'],
        confirm: true,
      }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    const piId = (err.raw as { payment_intent: { id: string } }).payment_intent.id;
    const pi = await stripe.paymentIntents.retrieve(piId);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error?.code).toBe('card_declined');
    expect((await stripe.charges.retrieve(pi.latest_charge as string)).status).toBe('failed');

    const retried = await stripe.paymentIntents.confirm(piId, { payment_method: 'pm_card_mastercard' });
    expect(retried.status).toBe('succeeded');
  });

  it('holds a manual-capture payment, captures part of it, and cancels another', async () => {
    const held = await stripe.paymentIntents.create({
      amount: 9000,
      currency: 'gbp',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
      confirm: true,
    });
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 9000 });
    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 6000 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 6000, amount_capturable: 0 });
    const charge = await stripe.charges.retrieve(captured.latest_charge as string);
    expect(charge).toMatchObject({
      captured: true,
      amount_captured: 6000,
      amount_refunded: 3000,
      refunded: false,
    });

    const again = await failure(stripe.paymentIntents.capture(held.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });

    const open = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      allowed_payment_method_types: ['card'],
    });
    const canceled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    const twice = await failure(stripe.paymentIntents.cancel(open.id));
    expect(twice.code).toBe('payment_intent_unexpected_state');
  });

  it('searches payment intents by status, customer, amount and metadata with OR', async () => {
    const order = seedOrder('succeeded');
    const customerId = business.customers.find((c) => c.key === order.customerKey)!.ids.stripeCustomerId;
    const mine = await stripe.paymentIntents.search({
      query: `customer:'${customerId}' AND status:'succeeded'`,
      limit: 100,
    });
    const expected = business.orders.filter(
      (o) => o.customerKey === order.customerKey && o.status === 'succeeded',
    );
    expect(new Set(mine.data.map((p) => p.id))).toEqual(
      new Set(expected.map((o) => o.ids.stripePaymentIntentId)),
    );

    const [x, y] = business.orders.filter((o) => o.bookingKey);
    const either = await stripe.paymentIntents.search({
      query: `metadata['booking_ref']:'${x!.bookingKey}' OR metadata['booking_ref']:'${y!.bookingKey}'`,
    });
    expect(new Set(either.data.map((p) => p.id))).toEqual(
      new Set([x!.ids.stripePaymentIntentId, y!.ids.stripePaymentIntentId]),
    );

    const big = await stripe.paymentIntents
      .search({ query: 'amount>=8000 AND -status:"canceled"', limit: 100 })
      .autoPagingToArray({ limit: 5000 });
    expect(big.length).toBe(
      business.orders.filter((o) => o.amount >= 8000 && o.status !== 'canceled').length,
    );
    expect(big.every((p) => p.amount >= 8000 && p.status !== 'canceled')).toBe(true);
  });

  it('validates amounts, currencies and the customer reference', async () => {
    expect(await failure(stripe.paymentIntents.create({ amount: 10, currency: 'gbp' }))).toMatchObject({
      code: 'amount_too_small',
      param: 'amount',
    });
    expect(await failure(stripe.paymentIntents.create({ amount: 1000, currency: 'xyz' }))).toMatchObject({
      param: 'currency',
    });
    expect(
      await failure(stripe.paymentIntents.create({ amount: 1000, currency: 'gbp', customer: 'cus_missing' })),
    ).toMatchObject({
      code: 'resource_missing',
      param: 'customer',
      message: "No such customer: 'cus_missing'",
    });
    expect(
      await failure(stripe.paymentIntents.create({ currency: 'gbp' } as Stripe.PaymentIntentCreateParams)),
    ).toMatchObject({
      code: 'parameter_missing',
      param: 'amount',
    });
  });
});

describe('expand', () => {
  it('expands customer and latest_charge on a payment intent, and nested paths', async () => {
    const order = business.orders.find(
      (o) =>
        o.status === 'succeeded' &&
        customerAt(
          business.customers.find((c) => c.key === o.customerKey)!,
          'stripe',
        ),
    )!;
    const pi = await stripe.paymentIntents.retrieve(order.ids.stripePaymentIntentId, {
      expand: ['customer', 'latest_charge.payment_intent'],
    });
    const customer = pi.customer as Stripe.Customer;
    expect(customer.object).toBe('customer');
    expect(customer.id).toBe(
      business.customers.find((c) => c.key === order.customerKey)!.ids.stripeCustomerId,
    );
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge.id).toBe(order.ids.stripeChargeId);
    expect((charge.payment_intent as Stripe.PaymentIntent).id).toBe(pi.id);
  });

  it('expands data.customer in lists and refuses paths that cannot be expanded', async () => {
    const page = await stripe.paymentIntents.list({ limit: 20, expand: ['data.customer'] });
    const withCustomer = page.data.filter((p) => p.customer !== null);
    expect(withCustomer.length).toBeGreaterThan(0);
    expect(withCustomer.every((p) => typeof p.customer === 'object')).toBe(true);

    const bare = await failure(stripe.paymentIntents.list({ expand: ['customer'] }));
    expect(bare.message).toContain("You may want to try expanding 'data.customer' instead");
    const nope = await failure(
      stripe.customers.retrieve(seedStripeCustomers()[0]!.ids.stripeCustomerId, { expand: ['email'] }),
    );
    expect(nope).toMatchObject({ statusCode: 400, message: 'This property cannot be expanded (email).' });
  });
});

describe('refunds and charges', () => {
  it('carries the seed refunds on charges', async () => {
    const order = business.orders.find((o) => o.refunded > 0)!;
    const charge = await stripe.charges.retrieve(order.ids.stripeChargeId!);
    expect(charge).toMatchObject({
      amount_refunded: order.refunded,
      refunded: order.refunded === order.amount,
    });
    const refunds = await stripe.refunds.list({ payment_intent: order.ids.stripePaymentIntentId });
    expect(refunds.data.map((r) => [r.id, r.amount])).toEqual([[order.ids.stripeRefundId, order.refunded]]);
  });

  it('refunds part, then the rest, then refuses more', async () => {
    const order = business.orders.find(
      (o) => o.status === 'succeeded' && o.refunded === 0 && o.amount > 2000,
    )!;
    const partial = await stripe.refunds.create({
      payment_intent: order.ids.stripePaymentIntentId,
      amount: 1000,
      reason: 'requested_by_customer',
      expand: ['charge', 'payment_intent'],
    });
    expect(partial).toMatchObject({ object: 'refund', amount: 1000, status: 'succeeded', currency: 'gbp' });
    expect((partial.charge as Stripe.Charge).amount_refunded).toBe(1000);
    expect((partial.payment_intent as Stripe.PaymentIntent).id).toBe(order.ids.stripePaymentIntentId);

    const tooMuch = await failure(
      stripe.refunds.create({ charge: order.ids.stripeChargeId!, amount: order.amount }),
    );
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });

    const rest = await stripe.refunds.create({ charge: order.ids.stripeChargeId! });
    expect(rest.amount).toBe(order.amount - 1000);
    expect(await stripe.charges.retrieve(order.ids.stripeChargeId!)).toMatchObject({
      amount_refunded: order.amount,
      refunded: true,
    });
    expect((await stripe.refunds.retrieve(rest.id)).charge).toBe(order.ids.stripeChargeId);
    const done = await failure(stripe.refunds.create({ charge: order.ids.stripeChargeId! }));
    expect(done.code).toBe('charge_already_refunded');
  });

  it('will not refund a payment that has not succeeded', async () => {
    const err = await failure(
      stripe.refunds.create({ payment_intent: seedOrder('canceled').ids.stripePaymentIntentId }),
    );
    expect(err).toMatchObject({ statusCode: 400, code: 'charge_not_refundable' });
  });
});

describe('idempotency', () => {
  it('replays the stored response for the same key and parameters', async () => {
    const params = { name: 'Once Only', email: 'once@example.com' };
    const first = await stripe.customers.create(params, { idempotencyKey: 'create-once-1' });
    const second = await stripe.customers.create(params, { idempotencyKey: 'create-once-1' });
    expect(second.id).toBe(first.id);
    expect(second).toEqual(first);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect((await stripe.customers.list({ email: 'once@example.com' })).data).toHaveLength(1);
  });

  it('rejects the same key with different parameters', async () => {
    await stripe.customers.create({ name: 'First' }, { idempotencyKey: 'key-reuse' });
    const err = await failure(stripe.customers.create({ name: 'Second' }, { idempotencyKey: 'key-reuse' }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe(
      "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'key-reuse' if you meant to execute a different request.",
    );
  });

  it('replays a card decline but does not store a validation error', async () => {
    const declined = {
      amount: 5000,
      currency: 'gbp',
      payment_method: 'pm_card_chargeDeclined',
      allowed_payment_method_types: ['card'],
      confirm: true,
    };
    const a = await failure(stripe.paymentIntents.create(declined, { idempotencyKey: 'decline-1' }));
    const b = await failure(stripe.paymentIntents.create(declined, { idempotencyKey: 'decline-1' }));
    expect(b.code).toBe('card_declined');
    expect(b.headers?.['idempotent-replayed']).toBe('true');
    expect((b.raw as { charge: string }).charge).toBe((a.raw as { charge: string }).charge);

    const bad = await failure(
      stripe.customers.create({ email: 'broken' }, { idempotencyKey: 'fix-and-retry' }),
    );
    expect(bad.statusCode).toBe(400);
    const fixed = await stripe.customers.create(
      { email: 'fixed@example.com' },
      { idempotencyKey: 'fix-and-retry' },
    );
    expect(fixed.email).toBe('fixed@example.com');
  });
});

describe('idempotency conflicts', () => {
  it('rejects a key reused on another endpoint, and a concurrent duplicate with 409', async () => {
    await stripe.customers.create({ name: 'Endpoint A' }, { idempotencyKey: 'cross-endpoint' });
    const other = await failure(
      stripe.paymentIntents.create({ amount: 1000, currency: 'gbp' }, { idempotencyKey: 'cross-endpoint' }),
    );
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(other.message).toContain('same endpoint');

    await admin(sandbox, '/__sandbox/faults', { latencyMs: 300, times: 1, operations: ['customers.create'] });
    const slow = stripe.customers.create({ name: 'Racer' }, { idempotencyKey: 'race' });
    await new Promise((r) => setTimeout(r, 100));
    const fast = await failure(stripe.customers.create({ name: 'Racer' }, { idempotencyKey: 'race' }));
    expect(fast.statusCode).toBe(409);
    expect(fast.code).toBe('idempotency_key_in_use');
    expect((await slow).name).toBe('Racer');
    expect(
      (await stripe.customers.create({ name: 'Racer' }, { idempotencyKey: 'race' })).lastResponse.headers[
        'idempotent-replayed'
      ],
    ).toBe('true');
  });
});

describe('errors and wire details', () => {
  it('answers a wrong key with a 401 envelope and masks the key', async () => {
    const wrong = sdkFor(sandbox, { apiKey: 'sk_test_definitelyWrong1234' });
    const err = await failure(wrong.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    expect(err.message).toBe('Invalid API Key provided: sk_test_****1234');
    const none = await fetch(`${sandbox.url}/v1/customers`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain(
      'You did not provide an API key',
    );
  });

  it('accepts HTTP Basic auth with the key as the user name', async () => {
    const basic = Buffer.from(`${sandbox.credentials.apiKey}:`).toString('base64');
    const res = await raw('GET', '/v1/customers?limit=1', { headers: { authorization: `Basic ${basic}` } });
    expect(res.status).toBe(200);
  });

  it("uses Stripe's 404 for unknown ids and unknown URLs", async () => {
    const err = await failure(stripe.customers.retrieve('cus_doesnotexist'));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
      message: "No such customer: 'cus_doesnotexist'",
    });
    expect(err.requestId).toMatch(/^req_/);
    const pi = await failure(stripe.paymentIntents.retrieve('pi_nope'));
    expect(pi.message).toBe("No such payment_intent: 'pi_nope'");
    const res = await raw('GET', '/v1/widgets');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(String(res.body.error?.message)).toContain('Unrecognized request URL (GET: /v1/widgets)');
  });

  it('rejects unknown parameters, including nested ones', async () => {
    const err = await failure(stripe.customers.create({ nickname: 'x' } as Stripe.CustomerCreateParams));
    expect(err).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'nickname',
      message: 'Received unknown parameter: nickname',
    });
    const nested = await failure(
      stripe.customers.create({ address: { town: 'Bath' } } as unknown as Stripe.CustomerCreateParams),
    );
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'address[town]' });
    const get = await raw('GET', '/v1/customers?colour=red');
    expect(get.body.error).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
  });

  it('answers malformed bodies with a 400 in the Stripe shape', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const brackets = await raw('POST', '/v1/customers', { body: 'metadata[a=1', headers: form });
    expect(brackets.status).toBe(400);
    expect(brackets.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(brackets.headers.get('request-id')).toMatch(/^req_/);
    const percent = await raw('POST', '/v1/customers', { body: 'name=%E0%A4%A', headers: form });
    expect(percent.status).toBe(400);
    const conflict = await raw('POST', '/v1/customers', { body: 'metadata=x&metadata[a]=1', headers: form });
    expect(conflict.status).toBe(400);
    const json = await raw('POST', '/v1/customers', {
      body: '{"name":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    const badInt = await raw('POST', '/v1/payment_intents', {
      body: 'amount=ten&currency=gbp',
      headers: form,
    });
    expect(badInt.body.error).toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'amount',
      message: 'Invalid integer: ten',
    });
    const badBool = await raw('POST', '/v1/payment_intents', {
      body: 'amount=100&currency=gbp&confirm=maybe',
      headers: form,
    });
    expect(badBool.body.error).toMatchObject({ param: 'confirm', message: 'Invalid boolean: maybe' });
  });

  it('names the payment method types parameter by API version', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = 'amount=1000&currency=gbp&payment_method_types[0]=card';
    const current = await raw('POST', '/v1/payment_intents', { body, headers: form });
    expect(current.body.error).toMatchObject({ code: 'parameter_unknown', param: 'payment_method_types' });
    const legacy = await raw('POST', '/v1/payment_intents', {
      body,
      headers: { ...form, 'stripe-version': '2025-09-30.clover' },
    });
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get('stripe-version')).toBe('2025-09-30.clover');
    expect(legacy.body).toMatchObject({
      payment_method_types: ['card'],
      allowed_payment_method_types: ['card'],
    });
  });

  it('accepts expand[]= and expand[0]= alike', async () => {
    const order = seedOrder('succeeded');
    for (const query of [
      'expand[]=latest_charge',
      'expand[0]=latest_charge',
      'expand%5B0%5D=latest_charge',
    ]) {
      const res = await raw('GET', `/v1/payment_intents/${order.ids.stripePaymentIntentId}?${query}`);
      expect((res.body as unknown as { latest_charge: { object: string } }).latest_charge.object).toBe(
        'charge',
      );
    }
  });

  it('sends Request-Id and Stripe-Version on every response', async () => {
    const list = await stripe.customers.list({ limit: 1 });
    expect(list.lastResponse.requestId).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(list.lastResponse.headers['stripe-version']).toBeTruthy();
  });
});

describe('reproducibility', () => {
  it('mints the same ids after a reset, and the same as a second sandbox on the same seed', async () => {
    const make = (client: Stripe) =>
      client.paymentIntents.create({
        amount: 3000,
        currency: 'gbp',
        payment_method: 'pm_card_visa',
        allowed_payment_method_types: ['card'],
        confirm: true,
      });
    const first = await make(stripe);
    await admin(sandbox, '/__sandbox/reset');
    const again = await make(stripe);
    expect([again.id, again.latest_charge, again.client_secret]).toEqual([
      first.id,
      first.latest_charge,
      first.client_secret,
    ]);
    const twin = await startStripeSandbox({ business });
    try {
      const other = await make(sdkFor(twin));
      expect(other.id).toBe(first.id);
    } finally {
      await twin.close();
    }
  });
});

describe('faults through the admin surface', () => {
  it('surfaces an injected 429 as StripeRateLimitError with Retry-After', async () => {
    await admin(sandbox, '/__sandbox/faults', { status: 429, retryAfterSeconds: 7, times: 1 });
    const err = await failure(stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(err.statusCode).toBe(429);
    expect(err.code).toBe('rate_limit');
    expect(err.headers?.['retry-after']).toBe('7');
    expect(err.headers?.['stripe-should-retry']).toBe('true');
    expect((await stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
  });

  it('surfaces an injected 503 as StripeAPIError', async () => {
    await admin(sandbox, '/__sandbox/faults', { status: 503, times: 1 });
    const err = await failure(stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(503);
    expect(err.requestId).toMatch(/^req_/);
  });

  it('lets an SDK with retries ride out a 503 without creating twice', async () => {
    const retrying = sdkFor(sandbox, { maxNetworkRetries: 2 });
    await admin(sandbox, '/__sandbox/faults', { status: 503, times: 1, operations: ['customers.create'] });
    const created = await retrying.customers.create({ email: 'retry@example.com' });
    expect(created.email).toBe('retry@example.com');
    expect((await stripe.customers.list({ email: 'retry@example.com' })).data).toHaveLength(1);
  });

  it('delays a request by the injected latency', async () => {
    await admin(sandbox, '/__sandbox/faults', { latencyMs: 300, times: 1 });
    const started = performance.now();
    await stripe.customers.list({ limit: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('surfaces dropped connections as StripeConnectionError', async () => {
    // The SDK retries a reset connection once even with maxNetworkRetries 0: one drop is absorbed...
    await admin(sandbox, '/__sandbox/faults', { drop: true, times: 1 });
    expect((await stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
    // ...so two in a row are needed to see the error.
    await admin(sandbox, '/__sandbox/faults', { drop: true, times: 2 });
    const err = await failure(stripe.customers.list());
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const log = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as {
      entries: Array<{ dropped?: boolean; status: number }>;
    };
    expect(log.entries.map((e) => (e.dropped ? 'dropped' : e.status))).toEqual([
      'dropped',
      200,
      'dropped',
      'dropped',
    ]);
  });
});
