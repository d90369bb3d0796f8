import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { toStripeError } from './errors.ts';
import { invoiceRefOf } from './mappers.ts';
import { startStripeSandbox } from './sandbox/server.ts';
import { createStripeSource, type StripeSource } from './source.ts';
import { failure } from '../../test/support/failure.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const inStripe = business.customers.filter((c) => customerAt(c, 'stripe'));
const stripeCustomerIds = new Set(inStripe.map((c) => c.ids.stripeCustomerId));
const ordersWith = (status: string, refunded = 0) =>
  business.orders.filter(
    (o) =>
      o.status === status &&
      o.refunded === refunded &&
      inStripe.some((c) => c.key === o.customerKey && stripeCustomerIds.has(c.ids.stripeCustomerId)),
  );
const unpaid = ordersWith('requires_payment_method');
const paid = ordersWith('succeeded');

let sandbox: VendorSandbox;
let source: StripeSource;
let apiKey: string;

beforeAll(async () => {
  sandbox = await startStripeSandbox({ seed: { now } });
  apiKey = sandbox.credentials.apiKey as string;
  source = createStripeSource({ baseUrl: sandbox.url, apiKey });
  expect(unpaid.length).toBeGreaterThanOrEqual(6);
  expect(paid.length).toBeGreaterThanOrEqual(6);
});
afterAll(async () => {
  await source.close();
  await sandbox.close();
});
beforeEach(async () => {
  await clearFaults(sandbox.url);
  await clearRequestLog(sandbox.url);
});

/** Reads straight from the sandbox's Stripe API: the check after every write. */
async function stripeGet(path: string): Promise<any> {
  const res = await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return res.json();
}
async function counts(): Promise<Record<string, number>> {
  return ((await (await fetch(`${sandbox.url}/__sandbox`)).json()) as any).counts;
}
/** API-caused events carry the request's `Idempotency-Key` (as Stripe's do): proof of what was sent. */
async function eventsFor(type: string, objectId: string): Promise<any[]> {
  const list = await stripeGet(`/v1/events?type=${type}&limit=100`);
  return list.data.filter((e: any) => e.data.object.id === objectId);
}
const lostAnswer = (operation: string) =>
  injectFault(sandbox.url, { status: 503, phase: 'after', times: 1, operations: [operation] });

const person = (n: string) => ({
  email: `writer.${n}@example.com`,
  firstName: 'Mary Ann',
  lastName: `Writer${n}`,
  phone: '+44 7700 900123',
  company: 'Writers Ltd',
  switchboardId: `sb_person_${n}`,
});

describe('createCustomer', () => {
  it('creates the customer with name, phone, company as description and switchboard_id, sending the key', async () => {
    const before = await counts();
    const record = await source.createCustomer(person('1'), { idempotencyKey: 'step-cc-1' });
    expect(record).toMatchObject({
      source: 'stripe',
      email: 'writer.1@example.com',
      firstName: 'Mary Ann',
      lastName: 'Writer1',
      name: 'Mary Ann Writer1',
      phone: '+44 7700 900123',
      company: null,
      updatedAt: null,
      url: `https://dashboard.stripe.com/test/customers/${record.externalId}`,
    });
    expect(record.externalId).toMatch(/^cus_/);
    const stored = await stripeGet(`/v1/customers/${record.externalId}`);
    expect(stored).toMatchObject({
      email: 'writer.1@example.com',
      name: 'Mary Ann Writer1',
      phone: '+44 7700 900123',
      description: 'Writers Ltd',
      metadata: { switchboard_id: 'sb_person_1' },
    });
    expect((await counts()).customers).toBe(before.customers! + 1);
    const [created] = await eventsFor('customer.created', record.externalId);
    expect(created.request.idempotency_key).toBe('step-cc-1');
  });

  it('leaves out an absent phone and company', async () => {
    const record = await source.createCustomer(
      { ...person('2'), phone: null, company: undefined },
      { idempotencyKey: 'step-cc-2' },
    );
    const stored = await stripeGet(`/v1/customers/${record.externalId}`);
    expect(stored).toMatchObject({ phone: null, description: null });
  });

  it('returns the same customer for a retry with the same key, creating nothing', async () => {
    const before = await counts();
    const first = await source.createCustomer(person('3'), { idempotencyKey: 'step-cc-3' });
    const again = await source.createCustomer(person('3'), { idempotencyKey: 'step-cc-3' });
    expect(again).toEqual(first);
    expect((await counts()).customers).toBe(before.customers! + 1);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'customers.create': 2 });
  });

  it('creates exactly one customer when the answer is lost (503 after the work) and the step is retried', async () => {
    const before = await counts();
    await lostAnswer('customers.create');
    const lost = await failure(source.createCustomer(person('4'), { idempotencyKey: 'step-cc-4' }));
    expect(lost).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });
    const record = await source.createCustomer(person('4'), { idempotencyKey: 'step-cc-4' });
    const found = await stripeGet(
      `/v1/customers/search?query=${encodeURIComponent("metadata['switchboard_id']:'sb_person_4'")}`,
    );
    expect(found.data.map((c: any) => c.id)).toEqual([record.externalId]);
    expect((await counts()).customers).toBe(before.customers! + 1);
    expect(await eventsFor('customer.created', record.externalId)).toHaveLength(1);
  });

  it('reads the same key with other parameters as a CONFLICT that a retry cannot fix', async () => {
    await source.createCustomer(person('5'), { idempotencyKey: 'step-cc-5' });
    const error = await failure(source.createCustomer(person('6'), { idempotencyKey: 'step-cc-5' }));
    expect(error).toMatchObject({
      code: 'CONFLICT',
      retryable: false,
      status: 400,
      vendorCode: 'idempotency_error',
    });
    expect(error.message).toMatch(/same parameters/);
  });

  it('answers a concurrent duplicate (first still running) with a retryable CONFLICT, then the replay', async () => {
    // The first request is held long enough that the second surely arrives while it runs, even on a
    // machine busy with other test runs (300 ms was not, once).
    await injectFault(sandbox.url, { latencyMs: 3_000, times: 1, operations: ['customers.create'] });
    const slow = source.createCustomer(person('7'), { idempotencyKey: 'step-cc-7' });
    await new Promise((r) => setTimeout(r, 100));
    const busy = await failure(source.createCustomer(person('7'), { idempotencyKey: 'step-cc-7' }));
    expect(busy).toMatchObject({
      code: 'CONFLICT',
      retryable: true,
      status: 409,
      vendorCode: 'idempotency_key_in_use',
    });
    const first = await slow;
    expect(await source.createCustomer(person('7'), { idempotencyKey: 'step-cc-7' })).toEqual(first);
  });

  it('passes Stripe’s validation message as INVALID_REQUEST; the corrected retry with the same key goes through', async () => {
    const error = await failure(
      source.createCustomer({ ...person('8'), email: 'not-an-email' }, { idempotencyKey: 'step-cc-8' }),
    );
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false, vendorCode: 'email_invalid' });
    expect(error.message).toMatch(/Invalid email address: not-an-email/);
    const record = await source.createCustomer(person('8'), { idempotencyKey: 'step-cc-8' });
    expect(record.email).toBe('writer.8@example.com');
  });

  it('refuses to write without a usable idempotency key, before any request', async () => {
    for (const key of ['', '   ', 'k'.repeat(256)]) {
      const error = await failure(source.createCustomer(person('9'), { idempotencyKey: key }));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
      expect(error.message).toMatch(/idempotency key/);
    }
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });

  it('maps injected failures to retryable errors', async () => {
    await injectFault(sandbox.url, { status: 429, retryAfterSeconds: 2, times: 1 });
    expect(
      await failure(source.createCustomer(person('10'), { idempotencyKey: 'step-cc-10' })),
    ).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 2000 });
    await injectFault(sandbox.url, { drop: true, times: 1 });
    expect(
      await failure(source.createCustomer(person('10'), { idempotencyKey: 'step-cc-10' })),
    ).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });
    await injectFault(sandbox.url, { drop: true, phase: 'after', times: 1 });
    expect(
      await failure(source.createCustomer(person('10'), { idempotencyKey: 'step-cc-10' })),
    ).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });
    const before = await counts();
    const record = await source.createCustomer(person('10'), { idempotencyKey: 'step-cc-10' });
    // The dropped-after request created it; the retry replayed it.
    expect((await counts()).customers).toBe(before.customers);
    expect(await eventsFor('customer.created', record.externalId)).toHaveLength(1);
  });
});

describe('updateCustomer', () => {
  const seed = inStripe[3]!;
  const id = seed.ids.stripeCustomerId;

  it('sends only the changed fields: other fields stay as they were', async () => {
    const before = await stripeGet(`/v1/customers/${id}`);
    const record = await source.updateCustomer(
      id,
      { email: 'changed.address@example.com' },
      { idempotencyKey: 'step-uc-1' },
    );
    expect(record).toMatchObject({ externalId: id, email: 'changed.address@example.com', name: before.name });
    const after = await stripeGet(`/v1/customers/${id}`);
    expect(after).toEqual({ ...before, email: 'changed.address@example.com' });
    const [updated] = await eventsFor('customer.updated', id);
    expect(updated.data.previous_attributes).toEqual({ email: before.email });
    expect(updated.request.idempotency_key).toBe('step-uc-1');
  });

  it('recomposes the name from both parts, clears the phone on null and writes the company as description', async () => {
    const record = await source.updateCustomer(
      id,
      { firstName: 'Jo', lastName: 'Renamed', phone: null, company: 'New Co' },
      { idempotencyKey: 'step-uc-2' },
    );
    expect(record).toMatchObject({ firstName: 'Jo', lastName: 'Renamed', name: 'Jo Renamed', phone: null });
    expect(await stripeGet(`/v1/customers/${id}`)).toMatchObject({
      name: 'Jo Renamed',
      phone: null,
      description: 'New Co',
    });
  });

  it('refuses half a name (Stripe stores one full name) without a request', async () => {
    const error = await failure(
      source.updateCustomer(id, { firstName: 'Only' }, { idempotencyKey: 'step-uc-3' }),
    );
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(error.message).toMatch(/both firstName and lastName/);
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });

  it('applies a retried update once, replaying the first answer', async () => {
    await lostAnswer('customers.update');
    const lost = await failure(
      source.updateCustomer(id, { phone: '+44 7700 900999' }, { idempotencyKey: 'step-uc-4' }),
    );
    expect(lost.retryable).toBe(true);
    const record = await source.updateCustomer(
      id,
      { phone: '+44 7700 900999' },
      { idempotencyKey: 'step-uc-4' },
    );
    expect(record.phone).toBe('+44 7700 900999');
    const phoneChanges = (await eventsFor('customer.updated', id)).filter(
      (e) => e.request.idempotency_key === 'step-uc-4',
    );
    expect(phoneChanges).toHaveLength(1);
    expect(
      await failure(source.updateCustomer(id, { phone: '+44 7700 900111' }, { idempotencyKey: 'step-uc-4' })),
    ).toMatchObject({ code: 'CONFLICT', retryable: false });
  });

  it('answers an unknown or malformed id with NOT_FOUND', async () => {
    expect(
      await failure(
        source.updateCustomer('cus_doesNotExist', { email: 'x@example.com' }, { idempotencyKey: 'k1' }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND', retryable: false, vendorCode: 'resource_missing' });
    expect(
      await failure(
        source.updateCustomer('../v1/charges', { email: 'x@example.com' }, { idempotencyKey: 'k2' }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'customers.update': 1 });
  });
});

describe('createOrder', () => {
  const customer = inStripe[5]!.ids.stripeCustomerId;
  const input = (ref: string) => ({
    customerId: customer,
    amount: { amount: 4500, currency: 'GBP' },
    description: `Deposit ${ref}`,
    metadata: { booking_ref: ref, switchboard_id: `sb_${ref}` },
  });

  it('creates an unconfirmed payment intent with automatic payment methods', async () => {
    const order = await source.createOrder(input('bk-w1'), { idempotencyKey: 'step-co-1' });
    expect(order).toMatchObject({
      source: 'stripe',
      customerExternalId: customer,
      description: 'Deposit bk-w1',
      amount: { amount: 4500, currency: 'GBP' },
      amountReceived: { amount: 0, currency: 'GBP' },
      amountRefunded: { amount: 0, currency: 'GBP' },
      status: 'REQUIRES_PAYMENT_METHOD',
      refunds: [],
      metadata: { booking_ref: 'bk-w1', switchboard_id: 'sb_bk-w1' },
      url: `https://dashboard.stripe.com/test/payments/${order.externalId}`,
    });
    const stored = await stripeGet(`/v1/payment_intents/${order.externalId}`);
    expect(stored).toMatchObject({
      amount: 4500,
      currency: 'gbp',
      customer,
      status: 'requires_payment_method',
      automatic_payment_methods: { enabled: true },
      latest_charge: null,
    });
    const [created] = await eventsFor('payment_intent.created', order.externalId);
    expect(created.request.idempotency_key).toBe('step-co-1');
  });

  it('creates exactly one payment intent when the answer is lost and the step is retried', async () => {
    const before = await counts();
    await lostAnswer('payment_intents.create');
    expect(await failure(source.createOrder(input('bk-w2'), { idempotencyKey: 'step-co-2' }))).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
    const order = await source.createOrder(input('bk-w2'), { idempotencyKey: 'step-co-2' });
    const found = await stripeGet(
      `/v1/payment_intents/search?query=${encodeURIComponent("metadata['booking_ref']:'bk-w2'")}`,
    );
    expect(found.data.map((pi: any) => pi.id)).toEqual([order.externalId]);
    expect((await counts()).paymentIntents).toBe(before.paymentIntents! + 1);
  });

  it('passes Stripe’s validation errors as INVALID_REQUEST', async () => {
    const small = await failure(
      source.createOrder(
        { ...input('bk-w3'), amount: { amount: 10, currency: 'GBP' } },
        { idempotencyKey: 'step-co-3' },
      ),
    );
    expect(small).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'amount_too_small',
    });
    expect(small.message).toMatch(/Amount must be at least £0.30 gbp/);
    const nobody = await failure(
      source.createOrder({ ...input('bk-w3'), customerId: 'cus_nobody' }, { idempotencyKey: 'step-co-4' }),
    );
    expect(nobody).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(nobody.message).toMatch(/No such customer: 'cus_nobody'/);
  });
});

describe('linkInvoice', () => {
  const seed = unpaid[0]!;
  const id = seed.ids.stripePaymentIntentId;
  const invoice = { system: 'quickbooks', id: '1042', number: 'INV-1042' };

  it('stores the invoice in the metadata beside what was there, once per key, and reads it back', async () => {
    const before = await stripeGet(`/v1/payment_intents/${id}`);
    expect(before.metadata.booking_ref).toBeDefined();
    await lostAnswer('payment_intents.update');
    await failure(source.linkInvoice(id, invoice, { idempotencyKey: 'step-li-1' }));
    const order = await source.linkInvoice(id, invoice, { idempotencyKey: 'step-li-1' });
    const stored = {
      ...before.metadata,
      switchboard_invoice_system: 'quickbooks',
      switchboard_invoice_id: '1042',
      invoice_number: 'INV-1042',
    };
    expect(order.metadata).toEqual(stored);
    expect(order.invoiceRef).toEqual(invoice);
    expect((await stripeGet(`/v1/payment_intents/${id}`)).metadata).toEqual(stored);
    expect((await source.getOrders([id]))[0]).toMatchObject({ invoiceRef: invoice });
    expect(
      await failure(source.linkInvoice(id, { ...invoice, id: '1043' }, { idempotencyKey: 'step-li-1' })),
    ).toMatchObject({ code: 'CONFLICT', retryable: false });
  });

  it('answers an unknown payment intent with NOT_FOUND', async () => {
    expect(
      await failure(source.linkInvoice('pi_missing', invoice, { idempotencyKey: 'step-li-3' })),
    ).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });
});

describe('invoiceRefOf', () => {
  it("reads the system the hub recorded, and an older order's xero_invoice_id as a Xero invoice", () => {
    expect(
      invoiceRefOf({
        switchboard_invoice_system: 'quickbooks',
        switchboard_invoice_id: '7',
        invoice_number: '1007',
      }),
    ).toEqual({ system: 'quickbooks', id: '7', number: '1007' });
    expect(invoiceRefOf({ xero_invoice_id: 'b1c2', invoice_number: 'INV-0001' })).toEqual({
      system: 'xero',
      id: 'b1c2',
      number: 'INV-0001',
    });
    expect(invoiceRefOf({ booking_ref: 'x' })).toBeNull();
  });
});

describe('cancelOrder', () => {
  it('cancels an unpaid order, and a lost answer retried with the same key cancels it once', async () => {
    const id = unpaid[1]!.ids.stripePaymentIntentId;
    await lostAnswer('payment_intents.cancel');
    expect(await failure(source.cancelOrder(id, { idempotencyKey: 'step-cx-1' }))).toMatchObject({
      retryable: true,
    });
    const order = await source.cancelOrder(id, { idempotencyKey: 'step-cx-1' });
    expect(order).toMatchObject({ externalId: id, status: 'CANCELED' });
    expect((await stripeGet(`/v1/payment_intents/${id}`)).status).toBe('canceled');
    const events = await eventsFor('payment_intent.canceled', id);
    expect(events).toHaveLength(1);
    expect(events[0].request.idempotency_key).toBe('step-cx-1');
  });

  it('returns an order already cancelled as it is, even under another key', async () => {
    const id = unpaid[2]!.ids.stripePaymentIntentId;
    await source.cancelOrder(id, { idempotencyKey: 'step-cx-2a' });
    await clearRequestLog(sandbox.url);
    const again = await source.cancelOrder(id, { idempotencyKey: 'step-cx-2b' });
    expect(again).toMatchObject({ externalId: id, status: 'CANCELED' });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'payment_intents.cancel': 1,
      'payment_intents.retrieve': 1,
    });
    expect(await eventsFor('payment_intent.canceled', id)).toHaveLength(1);
  });

  it('keeps Stripe’s INVALID_REQUEST for a paid order', async () => {
    const id = paid[0]!.ids.stripePaymentIntentId;
    const error = await failure(source.cancelOrder(id, { idempotencyKey: 'step-cx-3' }));
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'payment_intent_unexpected_state',
    });
    expect(error.message).toMatch(/status of succeeded/);
    expect((await stripeGet(`/v1/payment_intents/${id}`)).status).toBe('succeeded');
  });

  it('answers an unknown or malformed id with NOT_FOUND', async () => {
    expect(await failure(source.cancelOrder('pi_missing', { idempotencyKey: 'step-cx-4' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await failure(source.cancelOrder('cus_123', { idempotencyKey: 'step-cx-5' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('refundOrder', () => {
  it('refunds part of a paid order once, even when the answer is lost and the step retried', async () => {
    const seed = paid[1]!;
    const id = seed.ids.stripePaymentIntentId;
    const part = { amount: Math.floor(seed.amount / 3), currency: 'GBP' };
    await lostAnswer('refunds.create');
    expect(await failure(source.refundOrder(id, part, { idempotencyKey: 'step-rf-1' }))).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
    const refund = await source.refundOrder(id, part, { idempotencyKey: 'step-rf-1' });
    expect(refund).toEqual({
      externalId: expect.stringMatching(/^re_/),
      amount: part,
      status: 'succeeded',
      createdAt: expect.any(Date),
    });
    const refunds = await stripeGet(`/v1/refunds?payment_intent=${id}`);
    expect(refunds.data.map((r: any) => [r.id, r.amount])).toEqual([[refund.externalId, part.amount]]);
    const [order] = await source.getOrders([id]);
    expect(order).toMatchObject({ amountRefunded: part, status: 'SUCCEEDED' });
    const [created] = await eventsFor('refund.created', refund.externalId);
    expect(created.request.idempotency_key).toBe('step-rf-1');
  });

  it('refunds whatever is left when the amount is null', async () => {
    const seed = paid[2]!;
    const id = seed.ids.stripePaymentIntentId;
    await source.refundOrder(id, { amount: 100, currency: 'GBP' }, { idempotencyKey: 'step-rf-2a' });
    const rest = await source.refundOrder(id, null, { idempotencyKey: 'step-rf-2b' });
    expect(rest.amount).toEqual({ amount: seed.amount - 100, currency: 'GBP' });
    expect((await stripeGet(`/v1/charges/${seed.ids.stripeChargeId}`)).amount_refunded).toBe(seed.amount);
    // Same key, same parameters: the stored answer, not a second refund (nor charge_already_refunded).
    expect(await source.refundOrder(id, null, { idempotencyKey: 'step-rf-2b' })).toEqual(rest);
    expect((await stripeGet(`/v1/refunds?payment_intent=${id}`)).data).toHaveLength(2);
    // A new key for a fully refunded order is Stripe's validation error.
    expect(await failure(source.refundOrder(id, null, { idempotencyKey: 'step-rf-2c' }))).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'charge_already_refunded',
    });
  });

  it('passes Stripe’s refusals as INVALID_REQUEST', async () => {
    const unpaidId = unpaid[3]!.ids.stripePaymentIntentId;
    const notPaid = await failure(source.refundOrder(unpaidId, null, { idempotencyKey: 'step-rf-3' }));
    expect(notPaid).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'charge_not_refundable' });
    expect(notPaid.message).toMatch(/does not have a successful charge to refund/);
    const seed = paid[3]!;
    const tooMuch = await failure(
      source.refundOrder(
        seed.ids.stripePaymentIntentId,
        { amount: seed.amount + 1, currency: 'GBP' },
        { idempotencyKey: 'step-rf-4' },
      ),
    );
    expect(tooMuch).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'amount_too_large' });
    expect(
      await failure(
        source.refundOrder(
          seed.ids.stripePaymentIntentId,
          { amount: 0, currency: 'GBP' },
          { idempotencyKey: 'step-rf-5' },
        ),
      ),
    ).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(
      (await stripeGet(`/v1/refunds?payment_intent=${seed.ids.stripePaymentIntentId}`)).data,
    ).toHaveLength(0);
  });
});

describe('idempotency errors', () => {
  it('reads a 409 (key still in use) as retryable even without Stripe-Should-Retry, unless Stripe says no', () => {
    const body = { error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: 'busy' } };
    expect(toStripeError({ status: 409, headers: {}, body }, 'x')).toMatchObject({
      code: 'CONFLICT',
      retryable: true,
    });
    expect(
      toStripeError({ status: 409, headers: { 'stripe-should-retry': 'false' }, body }, 'x'),
    ).toMatchObject({ code: 'CONFLICT', retryable: false });
  });
});
