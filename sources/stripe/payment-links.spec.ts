import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PaymentLink } from '../../src/domain/model.ts';
import type { PaymentLinkInput } from '../../src/domain/ports.ts';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { failure } from '../../test/support/failure.ts';
import { toPaymentLink } from './mappers.ts';
import { startStripeSandbox } from './sandbox/server.ts';
import { createStripeSource, type StripeSource } from './source.ts';

// Payment links are Stripe Checkout Sessions (https://docs.stripe.com/api/checkout/sessions).

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const customerId = business.customers.find((c) => customerAt(c, 'stripe'))!.ids.stripeCustomerId;

let sandbox: VendorSandbox;
let source: StripeSource;
let apiKey: string;

beforeAll(async () => {
  sandbox = await startStripeSandbox({ seed: { now } });
  apiKey = sandbox.credentials.apiKey as string;
  source = createStripeSource({ baseUrl: sandbox.url, apiKey });
});
afterAll(async () => {
  await source.close();
  await sandbox.close();
});
beforeEach(async () => {
  await clearFaults(sandbox.url);
  await clearRequestLog(sandbox.url);
});

async function stripeGet(path: string): Promise<any> {
  const res = await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return res.json();
}
async function counts(): Promise<Record<string, number>> {
  return ((await (await fetch(`${sandbox.url}/__sandbox`)).json()) as any).counts;
}
/** Whole seconds, as Stripe keeps times. */
const inMinutes = (minutes: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + minutes * 60_000);

function deposit(overrides: Partial<PaymentLinkInput> = {}): PaymentLinkInput {
  return {
    customerId,
    customerEmail: null,
    amount: { amount: 2000, currency: 'GBP' },
    description: 'Deposit: Sports massage (60 min)',
    metadata: { switchboard_booking: 'bk_1', switchboard_operation: 'op_1' },
    expiresAt: inMinutes(60),
    successUrl: 'https://studio.example/booked?session={CHECKOUT_SESSION_ID}',
    cancelUrl: 'https://studio.example/cancelled',
    ...overrides,
  };
}

const pay = (link: PaymentLink) => fetch(`${link.url}/pay`, { method: 'POST', redirect: 'manual' });

describe('createPaymentLink', () => {
  it('creates a payment-mode session for the customer, with the metadata on the session and the payment', async () => {
    const input = deposit();
    const link = await source.createPaymentLink(input, { idempotencyKey: 'step-pl-1' });
    expect(link).toEqual({
      source: 'stripe',
      externalId: expect.stringMatching(/^cs_test_/),
      url: `${sandbox.url}/c/pay/${link.externalId}`,
      status: 'OPEN',
      amount: { amount: 2000, currency: 'GBP' },
      orderExternalId: null,
      customerExternalId: customerId,
      metadata: input.metadata,
      expiresAt: input.expiresAt,
      createdAt: expect.any(Date),
    });
    const session = await stripeGet(`/v1/checkout/sessions/${link.externalId}`);
    expect(session).toMatchObject({
      mode: 'payment',
      customer: customerId,
      customer_email: null,
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      expires_at: input.expiresAt.getTime() / 1000,
    });
    // The page shows the description; paying carries payment_intent_data onto the payment.
    expect(await (await fetch(link.url)).text()).toContain('Deposit: Sports massage (60 min)');
    expect((await pay(link)).status).toBe(303);
    const [paid] = await source.getPaymentLinks([link.externalId]);
    expect(paid).toMatchObject({ status: 'PAID', orderExternalId: expect.stringMatching(/^pi_/), url: '' });
    const [order] = await source.getOrders([(paid as PaymentLink).orderExternalId!]);
    expect(order).toMatchObject({
      status: 'SUCCEEDED',
      customerExternalId: customerId,
      description: 'Deposit: Sports massage (60 min)',
      amountReceived: { amount: 2000, currency: 'GBP' },
      metadata: input.metadata,
    });
  });

  it('sends customer_email when there is no customer, and nothing for a missing email', async () => {
    const byEmail = await source.createPaymentLink(
      deposit({ customerId: null, customerEmail: 'walk.in@example.com' }),
      { idempotencyKey: 'step-pl-2' },
    );
    expect(byEmail.customerExternalId).toBeNull();
    expect((await stripeGet(`/v1/checkout/sessions/${byEmail.externalId}`)).customer_email).toBe(
      'walk.in@example.com',
    );
    const anonymous = await source.createPaymentLink(deposit({ customerId: null }), {
      idempotencyKey: 'step-pl-3',
    });
    expect(await stripeGet(`/v1/checkout/sessions/${anonymous.externalId}`)).toMatchObject({
      customer: null,
      customer_email: null,
    });
  });

  it('creates one session when the answer is lost and the step is retried with its key', async () => {
    const before = await counts();
    await injectFault(sandbox.url, {
      status: 503,
      phase: 'after',
      times: 1,
      operations: ['checkout.sessions.create'],
    });
    const input = deposit({ metadata: { switchboard_booking: 'bk_lost' } });
    const lost = await failure(source.createPaymentLink(input, { idempotencyKey: 'step-pl-4' }));
    expect(lost).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });
    const link = await source.createPaymentLink(input, { idempotencyKey: 'step-pl-4' });
    expect((await counts()).checkoutSessions).toBe(before.checkoutSessions! + 1);
    const listed = await stripeGet(`/v1/checkout/sessions?customer=${customerId}&limit=100`);
    expect(listed.data.filter((s: any) => s.metadata.switchboard_booking === 'bk_lost')).toEqual([
      expect.objectContaining({ id: link.externalId }),
    ]);
  });

  it('passes Stripe’s refusals as INVALID_REQUEST and refuses bad input before any request', async () => {
    const tooSoon = await failure(
      source.createPaymentLink(deposit({ expiresAt: inMinutes(10) }), { idempotencyKey: 'step-pl-5' }),
    );
    expect(tooSoon).toMatchObject({ code: 'INVALID_REQUEST', status: 400, retryable: false });
    expect(tooSoon.message).toContain('at least 30 minutes');
    const unknown = await failure(
      source.createPaymentLink(deposit({ customerId: 'cus_missing000000' }), { idempotencyKey: 'step-pl-6' }),
    );
    expect(unknown).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'resource_missing' });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'checkout.sessions.create': 2 });

    await clearRequestLog(sandbox.url);
    const bad: Array<[Partial<PaymentLinkInput>, string]> = [
      [{ amount: { amount: 0, currency: 'GBP' } }, 'positive whole number'],
      [{ amount: { amount: 12.5, currency: 'GBP' } }, 'positive whole number'],
      [{ amount: { amount: 2000, currency: 'pounds' } }, 'ISO 4217'],
      [{ description: '  ' }, 'description is required'],
      [{ expiresAt: new Date('nope') }, 'expiresAt must be a valid date'],
      [{ successUrl: '/relative' }, 'successUrl must be an absolute http(s) URL'],
      [{ cancelUrl: 'javascript:alert(1)' }, 'cancelUrl must be an absolute http(s) URL'],
    ];
    for (const [overrides, message] of bad) {
      const error = await failure(
        source.createPaymentLink(deposit(overrides), { idempotencyKey: 'step-pl-7' }),
      );
      expect(error.code, message).toBe('INVALID_REQUEST');
      expect(error.message).toContain(message);
    }
    const noKey = await failure(source.createPaymentLink(deposit(), { idempotencyKey: '' }));
    expect(noKey.message).toContain('idempotency key');
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });
});

describe('expirePaymentLink', () => {
  it('expires an open link once, and returns one already expired or paid as it is', async () => {
    const link = await source.createPaymentLink(deposit(), { idempotencyKey: 'step-pl-10' });
    const expired = await source.expirePaymentLink(link.externalId, { idempotencyKey: 'step-ex-10' });
    expect(expired).toMatchObject({ externalId: link.externalId, status: 'EXPIRED', url: '' });
    // Another step (another key) finds it expired already: the answer, not an error.
    expect(await source.expirePaymentLink(link.externalId, { idempotencyKey: 'step-ex-11' })).toEqual(
      expired,
    );
    const events = await stripeGet('/v1/events?type=checkout.session.expired&limit=100');
    expect(events.data.filter((e: any) => e.data.object.id === link.externalId)).toHaveLength(1);

    const paidLink = await source.createPaymentLink(deposit(), { idempotencyKey: 'step-pl-12' });
    await pay(paidLink);
    await clearRequestLog(sandbox.url);
    const stillPaid = await source.expirePaymentLink(paidLink.externalId, { idempotencyKey: 'step-ex-12' });
    expect(stillPaid).toMatchObject({ status: 'PAID', orderExternalId: expect.stringMatching(/^pi_/) });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'checkout.sessions.expire': 1,
      'checkout.sessions.retrieve': 1,
    });
  });

  it('answers an unknown or malformed id with NOT_FOUND', async () => {
    const missing = await failure(
      source.expirePaymentLink('cs_test_missing', { idempotencyKey: 'step-ex-20' }),
    );
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await clearRequestLog(sandbox.url);
    const malformed = await failure(source.expirePaymentLink('pi_123', { idempotencyKey: 'step-ex-21' }));
    expect(malformed).toMatchObject({ code: 'NOT_FOUND' });
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });
});

describe('getPaymentLinks', () => {
  it('reads links one GET each, in key order, a missing or malformed one as NOT_FOUND in its slot', async () => {
    const open = await source.createPaymentLink(deposit(), { idempotencyKey: 'step-pl-30' });
    const ended = await source.createPaymentLink(deposit({ customerId: null }), {
      idempotencyKey: 'step-pl-31',
    });
    await source.expirePaymentLink(ended.externalId, { idempotencyKey: 'step-ex-31' });
    await clearRequestLog(sandbox.url);
    const keys = [open.externalId, 'cs_test_missing', ended.externalId, 'pi_not_a_session', open.externalId];
    const results = await source.getPaymentLinks(keys);
    expect(results).toHaveLength(5);
    expect(results[0]).toEqual(open);
    expect(results[2]).toMatchObject({ externalId: ended.externalId, status: 'EXPIRED' });
    expect(results[4]).toEqual(open);
    for (const slot of [1, 3]) expect(results[slot]).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    // One request per distinct well-formed id.
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'checkout.sessions.retrieve': 3 });
  });

  it('fails the whole call when Stripe refuses the key', async () => {
    const wrong = createStripeSource({ baseUrl: sandbox.url, apiKey: 'sk_test_wrong' });
    try {
      await expect(wrong.getPaymentLinks(['cs_test_a', 'cs_test_b'])).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    } finally {
      await wrong.close();
    }
  });
});

describe('toPaymentLink', () => {
  const session = (fields: Record<string, unknown>) => ({
    id: 'cs_test_1',
    object: 'checkout.session',
    mode: 'payment',
    status: 'open',
    payment_status: 'unpaid',
    url: 'https://checkout.stripe.com/c/pay/cs_test_1',
    amount_total: 4500,
    currency: 'gbp',
    customer: null,
    payment_intent: null,
    metadata: {},
    expires_at: 1_790_000_000,
    created: 1_789_990_000,
    ...fields,
  });

  it('maps Stripe’s states: a complete but unpaid session (a slow payment settling) is still open', () => {
    const status = (status: string, payment_status: string) =>
      toPaymentLink(session({ status, payment_status })).status;
    expect(status('open', 'unpaid')).toBe('OPEN');
    expect(status('complete', 'paid')).toBe('PAID');
    expect(status('complete', 'no_payment_required')).toBe('PAID');
    expect(status('complete', 'unpaid')).toBe('OPEN');
    expect(status('expired', 'unpaid')).toBe('EXPIRED');
  });

  it('reads expanded ids, upper-cases the currency and takes unix seconds', () => {
    const link = toPaymentLink(
      session({
        customer: { id: 'cus_1', object: 'customer' },
        payment_intent: { id: 'pi_1' },
        metadata: { a: 'b' },
      }),
    );
    expect(link).toMatchObject({
      customerExternalId: 'cus_1',
      orderExternalId: 'pi_1',
      amount: { amount: 4500, currency: 'GBP' },
      metadata: { a: 'b' },
      expiresAt: new Date(1_790_000_000_000),
      createdAt: new Date(1_789_990_000_000),
    });
  });

  it('refuses shapes it cannot read, saying what was wrong', () => {
    expect(() => toPaymentLink(session({ status: 'weird' }))).toThrow(
      /status should be open, complete or expired/,
    );
    expect(() => toPaymentLink(session({ mode: 'subscription' }))).toThrow(/subscription mode/);
    expect(() => toPaymentLink(session({ amount_total: 12.5 }))).toThrow(/integer amount/);
  });
});
