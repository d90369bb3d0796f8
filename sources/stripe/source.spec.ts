import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { PaymentOrder, PersonRecord } from '../../src/domain/model.ts';
import {
  customerAt,
  generateBusiness,
  type SeedCustomer,
  type SeedOrder,
} from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { startStripeSandbox } from './sandbox/server.ts';
import { createStripeSource, type StripeSource } from './source.ts';
import { toStripeError } from './errors.ts';
import { splitName, toPaymentOrder, toPersonRecord } from './mappers.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const inStripe = business.customers.filter((c) => customerAt(c, 'stripe'));
const stripeIds = new Set(inStripe.map((c) => c.ids.stripeCustomerId));
const ordersOf = (c: SeedCustomer) => business.orders.filter((o) => o.customerKey === c.key);
const unix = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
const STATUS = {
  succeeded: 'SUCCEEDED',
  processing: 'PROCESSING',
  requires_payment_method: 'REQUIRES_PAYMENT_METHOD',
  canceled: 'CANCELED',
} as const;

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

function expectPerson(record: PersonRecord | PersonRecord[] | Error | undefined, seed: SeedCustomer) {
  const at = customerAt(seed, 'stripe')!;
  expect(record).toEqual({
    source: 'stripe',
    externalId: seed.ids.stripeCustomerId,
    email: at.email,
    firstName: at.firstName,
    lastName: at.lastName,
    name: `${at.firstName} ${at.lastName}`,
    phone: at.phone,
    company: null,
    createdAt: unix(seed.createdAt),
    updatedAt: null,
    url: `https://dashboard.stripe.com/test/customers/${seed.ids.stripeCustomerId}`,
  });
}

function expectOrder(order: PaymentOrder | Error | undefined, seed: SeedOrder) {
  const id = seed.ids.stripePaymentIntentId;
  const customer = inStripe.find((c) => c.key === seed.customerKey);
  expect(order).toMatchObject({
    source: 'stripe',
    externalId: id,
    customerExternalId: customer?.ids.stripeCustomerId ?? null,
    description: seed.description,
    amount: { amount: seed.amount, currency: 'GBP' },
    amountReceived: { amount: seed.status === 'succeeded' ? seed.amount : 0, currency: 'GBP' },
    amountRefunded: { amount: seed.refunded, currency: 'GBP' },
    status: STATUS[seed.status],
    refunds: [],
    createdAt: unix(seed.createdAt),
    url: `https://dashboard.stripe.com/test/payments/${id}`,
  });
  expect((order as PaymentOrder).metadata.order_ref).toBe(seed.key);
}

describe('Stripe connector: customers', () => {
  it('reads customers one GET each, in key order, with missing and deleted ones as NOT_FOUND in their slots', async () => {
    const seeds = inStripe.slice(0, 20);
    const deleted = inStripe[20]!.ids.stripeCustomerId;
    const res = await fetch(`${sandbox.url}/v1/customers/${deleted}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
    await clearRequestLog(sandbox.url);
    try {
      const ids = seeds.map((c) => c.ids.stripeCustomerId);
      const keys = [
        ...ids.slice(0, 5),
        'cus_doesNotExist1',
        ...ids.slice(5),
        deleted,
        ids[0]!,
        'not-a-stripe-id',
      ];
      const results = await source.getCustomers(keys);
      expect(results).toHaveLength(keys.length);
      seeds.slice(0, 5).forEach((c, i) => expectPerson(results[i], c));
      seeds.slice(5).forEach((c, i) => expectPerson(results[i + 6], c));
      expectPerson(results[22], seeds[0]!);
      for (const slot of [5, 21, 23]) {
        expect(results[slot]).toBeInstanceOf(SourceError);
        expect(results[slot]).toMatchObject({ source: 'stripe', code: 'NOT_FOUND', retryable: false });
      }
      expect((results[5] as SourceError).vendorCode).toBe('resource_missing');
      expect((results[21] as SourceError).message).toMatch(/deleted/);
      // One request per distinct well-formed id: 20 + the missing one + the deleted one.
      expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'customers.retrieve': 22 });
    } finally {
      await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    }
  });

  it('keeps at most 8 customer reads in flight, in parallel', async () => {
    await injectFault(sandbox.url, { latencyMs: 200, operations: ['customers.retrieve'] });
    const ids = inStripe.slice(0, 16).map((c) => c.ids.stripeCustomerId);
    const started = performance.now();
    const results = await source.getCustomers(ids);
    const elapsed = performance.now() - started;
    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    // 16 reads at 8 a time take two rounds of 200 ms: more than one round, far less than 16 in a row.
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1_600);
  });

  it('finds customers by email case-insensitively, one search per 10 emails, in key order', async () => {
    const messy = inStripe.filter((c) => c.mess.includes('email-format-stripe'));
    expect(messy.length).toBeGreaterThan(0);
    const plain = inStripe.slice(0, 20);
    // Canonical (lower-case, trimmed) emails for customers Stripe holds as ' x@y ' or 'X@Y', and shouty
    // versions of emails Stripe holds in lower case: both must find them.
    const keys = [
      ...plain.map((c) => c.email.toUpperCase()),
      'nobody@nowhere.test',
      ...messy.map((c) => c.email),
      "o'brien\\x@example.test",
      '',
      plain[0]!.email,
    ];
    const found = await source.findCustomersByEmail(keys);
    expect(found).toHaveLength(keys.length);
    plain.forEach((c, i) => {
      expect(found[i]).toHaveLength(1);
      expectPerson((found[i] as PersonRecord[])[0], c);
    });
    expect(found[20]).toEqual([]);
    messy.forEach((c, i) => {
      expect(found[21 + i]).toHaveLength(1);
      expectPerson((found[21 + i] as PersonRecord[])[0], c);
    });
    expect(found.at(-3)).toEqual([]);
    expect(found.at(-2)).toEqual([]);
    expect(found.at(-1)).toEqual(found[0]);
    // Distinct non-empty emails: 20 + 1 + messy + 1 (the duplicate and the blank add none).
    const distinct = 20 + 1 + messy.length + 1;
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'customers.search': Math.ceil(distinct / 10),
    });
  });

  it('lists every customer a page of 100 at a time', async () => {
    const all: PersonRecord[] = [];
    let after: string | undefined;
    do {
      const page = await source.listCustomers(after);
      all.push(...page.items);
      after = page.next;
    } while (after);
    expect(all).toHaveLength(inStripe.length);
    expect(new Set(all.map((p) => p.externalId))).toEqual(stripeIds);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'customers.list': Math.ceil(inStripe.length / 100),
    });
  });
});

describe('Stripe connector: orders', () => {
  it('lists orders for 100 customers with exactly 10 searches, grouped back in key order, newest first', async () => {
    const customers = inStripe.slice(0, 100);
    const keys = customers.map((c) => c.ids.stripeCustomerId);
    const results = await source.listOrdersByCustomer(keys);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'payment_intents.search': 10 });
    expect(results).toHaveLength(100);
    let empty = 0;
    customers.forEach((c, i) => {
      const orders = results[i] as PaymentOrder[];
      const seeds = ordersOf(c);
      expect(orders.map((o) => o.externalId).sort()).toEqual(
        seeds.map((o) => o.ids.stripePaymentIntentId).sort(),
      );
      for (const order of orders) {
        expectOrder(
          order,
          seeds.find((s) => s.ids.stripePaymentIntentId === order.externalId)!,
        );
      }
      const times = orders.map((o) => o.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      if (seeds.length === 0) empty++;
    });
    expect(empty).toBeGreaterThan(0);
    expect(results.flat().some((o) => (o as PaymentOrder).amountRefunded.amount > 0)).toBe(true);
  });

  it('answers [] for customers without orders or unknown ids, and repeats duplicates', async () => {
    const withOrders = inStripe.find((c) => ordersOf(c).length > 0)!;
    const keys = [
      withOrders.ids.stripeCustomerId,
      'cus_unknown0000',
      'nonsense',
      withOrders.ids.stripeCustomerId,
    ];
    const results = await source.listOrdersByCustomer(keys);
    expect((results[0] as PaymentOrder[]).length).toBe(ordersOf(withOrders).length);
    expect(results[1]).toEqual([]);
    expect(results[2]).toEqual([]);
    expect(results[3]).toEqual(results[0]);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'payment_intents.search': 1 });
  });

  it('follows next_page when a group of customers has more than 100 orders', async () => {
    const customer = inStripe.find((c) => ordersOf(c).length > 0)!;
    const id = customer.ids.stripeCustomerId;
    try {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${sandbox.url}/v1/payment_intents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `amount=${1000 + i}&currency=gbp&customer=${id}`,
        });
        expect(res.status).toBe(200);
      }
      await clearRequestLog(sandbox.url);
      const [orders] = await source.listOrdersByCustomer([id]);
      expect(orders).toHaveLength(100 + ordersOf(customer).length);
      expect(new Set((orders as PaymentOrder[]).map((o) => o.externalId)).size).toBe(
        (orders as PaymentOrder[]).length,
      );
      expect((orders as PaymentOrder[])[0]).toMatchObject({
        status: 'REQUIRES_PAYMENT_METHOD',
        amount: { amount: 1099 },
      });
      expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'payment_intents.search': 2 });
    } finally {
      await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    }
  });

  it('reads orders one GET each with the latest charge expanded, in key order, a missing one as NOT_FOUND', async () => {
    const pick = (f: (o: SeedOrder) => boolean) => business.orders.find(f)!;
    const seeds = [
      pick((o) => o.status === 'succeeded' && o.refunded === 0),
      pick((o) => o.refunded > 0 && o.refunded < o.amount),
      pick((o) => o.refunded > 0 && o.refunded === o.amount),
      pick((o) => o.status === 'processing'),
      pick((o) => o.status === 'requires_payment_method'),
      pick((o) => o.status === 'canceled'),
      pick((o) => !inStripe.some((c) => c.key === o.customerKey)),
    ];
    const keys = [...seeds.slice(0, 3).map((o) => o.ids.stripePaymentIntentId), 'pi_missing0000000000'];
    keys.push(...seeds.slice(3).map((o) => o.ids.stripePaymentIntentId), 'ch_not_an_intent');
    const results = await source.getOrders(keys);
    expect(results).toHaveLength(keys.length);
    seeds.slice(0, 3).forEach((s, i) => expectOrder(results[i], s));
    seeds.slice(3).forEach((s, i) => expectOrder(results[i + 4], s));
    expect((results[7] as PaymentOrder).customerExternalId).toBeNull();
    for (const slot of [3, 8]) expect(results[slot]).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'payment_intents.retrieve': 8 });
  });

  it('says where records live in the Dashboard', () => {
    expect(source.recordUrl('order', 'pi_1')).toBe('https://dashboard.stripe.com/test/payments/pi_1');
    expect(source.recordUrl('customer', 'cus_1')).toBe('https://dashboard.stripe.com/test/customers/cus_1');
    expect(source.recordUrl('invoice', 'in_1')).toBeNull();
    const live = createStripeSource({ baseUrl: sandbox.url, apiKey: 'rk_live_x' });
    expect(live.recordUrl('order', 'pi_1')).toBe('https://dashboard.stripe.com/payments/pi_1');
    void live.close();
  });
});

describe('Stripe connector: failures', () => {
  it('maps a 429 to RATE_LIMITED with Retry-After, and fails the whole batch', async () => {
    await injectFault(sandbox.url, { status: 429, retryAfterSeconds: 7, times: 1 });
    const ids = inStripe.slice(0, 3).map((c) => c.ids.stripeCustomerId);
    expect(await source.getCustomers(ids).catch((e: unknown) => e)).toMatchObject({
      source: 'stripe',
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7_000,
      status: 429,
      vendorCode: 'rate_limit',
    });
  });

  it('maps a 503 to a retryable UPSTREAM_ERROR: the whole call for a list, one slot in a batch of reads', async () => {
    await injectFault(sandbox.url, { status: 503, times: 1 });
    expect(await source.listCustomers().catch((e: unknown) => e)).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
      status: 503,
      vendorCode: 'api_error',
    });

    await injectFault(sandbox.url, { status: 503, times: 1 });
    const ids = business.orders.slice(0, 3).map((o) => o.ids.stripePaymentIntentId);
    const results = await source.getOrders(ids);
    const failed = results.filter((r) => r instanceof Error);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });

    await injectFault(sandbox.url, { status: 503, times: 3 });
    expect(await source.getOrders(ids).catch((e: unknown) => e)).toMatchObject({ code: 'UPSTREAM_ERROR' });

    await injectFault(sandbox.url, { status: 503, times: 1 });
    const search = await source
      .listOrdersByCustomer(['cus_a0000000', 'cus_b0000000'])
      .catch((e: unknown) => e);
    expect(search).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
  });

  it('maps a dropped connection to CONNECTION_FAILED', async () => {
    await injectFault(sandbox.url, { drop: true, times: 1 });
    expect(await source.findCustomersByEmail(['a@b.test']).catch((e: unknown) => e)).toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
    });
  });

  it('says UNAUTHENTICATED, not retryable, for a wrong key, rejecting batches as a whole', async () => {
    const wrong = createStripeSource({ baseUrl: sandbox.url, apiKey: 'sk_test_wrong1234' });
    try {
      expect(await wrong.listCustomers().catch((e: unknown) => e)).toMatchObject({
        code: 'UNAUTHENTICATED',
        retryable: false,
        status: 401,
        vendorCode: 'invalid_request_error',
      });
      const ids = inStripe.slice(0, 20).map((c) => c.ids.stripeCustomerId);
      expect(await wrong.getCustomers(ids).catch((e: unknown) => e)).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    } finally {
      await wrong.close();
    }
  });

  it('gives up when the caller aborts', async () => {
    await injectFault(sandbox.url, { latencyMs: 300, operations: ['payment_intents.retrieve'] });
    const ids = business.orders.slice(0, 20).map((o) => o.ids.stripePaymentIntentId);
    const error = await source.getOrders(ids, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    // Only the first round went out; let the sandbox finish it before the next test clears its log.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await requestLog(sandbox.url)).byOperation['payment_intents.retrieve'] ?? 0).toBeLessThanOrEqual(
      8,
    );
  });
});

describe('toStripeError', () => {
  const response = (
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): UpstreamResponse => ({ status, body, headers });

  it('reads a card decline as INVALID_REQUEST with the decline code', () => {
    const error = toStripeError(
      response(402, {
        error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' },
      }),
      'payment_intents.confirm',
    );
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      status: 402,
      vendorCode: 'card_declined',
    });
    expect(error.message).toMatch(/Your card was declined/);
  });

  it('reads idempotency errors as CONFLICT and honours Stripe-Should-Retry', () => {
    expect(
      toStripeError(response(400, { error: { type: 'idempotency_error', message: 'Keys…' } }), 'x'),
    ).toMatchObject({ code: 'CONFLICT', retryable: false, vendorCode: 'idempotency_error' });
    expect(
      toStripeError(
        response(
          409,
          { error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: 'in progress' } },
          { 'stripe-should-retry': 'true' },
        ),
        'x',
      ),
    ).toMatchObject({ code: 'CONFLICT', retryable: true, vendorCode: 'idempotency_key_in_use' });
    expect(
      toStripeError(
        response(500, { error: { type: 'api_error', message: 'x' } }, { 'stripe-should-retry': 'false' }),
        'x',
      ),
    ).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: false });
  });

  it('copes with a body that is not Stripe JSON, and a 429 without Retry-After', () => {
    const error = toStripeError(
      response(502, '<html>Bad gateway</html>', { 'request-id': 'req_1' }),
      'customers.list',
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, vendorCode: undefined });
    expect(error.message).toBe(
      'stripe customers.list failed with 502: <html>Bad gateway</html> (request req_1)',
    );
    expect(
      toStripeError(response(429, { error: { type: 'invalid_request_error', code: 'rate_limit' } }), 'x'),
    ).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 500 });
    expect(toStripeError(response(403, { error: { type: 'invalid_request_error' } }), 'x').code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('Stripe mappers', () => {
  const links = { testMode: false };
  const intent = {
    id: 'pi_1',
    object: 'payment_intent',
    amount: 5000,
    amount_received: 5000,
    currency: 'gbp',
    customer: 'cus_1',
    description: null,
    status: 'succeeded',
    latest_charge: { id: 'ch_1', amount_refunded: 0 },
    metadata: { order_ref: 'ord-1' },
    created: 1_700_000_000,
  };

  it('rejects malformed payment intents at the boundary, naming the field', () => {
    const bad = (patch: Record<string, unknown>) => () => toPaymentOrder({ ...intent, ...patch }, links);
    expect(bad({ amount: undefined })).toThrow(
      /stripe sent an unexpected response: payment intent pi_1\.amount/,
    );
    expect(bad({ amount: 12.5 })).toThrow(/minor units/);
    expect(bad({ status: 'requires_magic' })).toThrow(/pi_1\.status/);
    expect(bad({ latest_charge: 'ch_1' })).toThrow(/latest_charge should be an expanded charge/);
    expect(bad({ created: 'yesterday' })).toThrow(/pi_1\.created/);
    const error = (() => {
      try {
        toPaymentOrder({ ...intent, id: undefined }, links);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ source: 'stripe', code: 'UPSTREAM_ERROR', retryable: true });
  });

  it('maps refunds when Stripe includes the charge refunds list, and live-mode links', () => {
    const order = toPaymentOrder(
      {
        ...intent,
        customer: { id: 'cus_9', object: 'customer' },
        latest_charge: {
          id: 'ch_1',
          amount_refunded: 1500,
          refunds: {
            object: 'list',
            has_more: false,
            data: [
              { id: 're_1', amount: 1500, currency: 'gbp', status: 'succeeded', created: 1_700_100_000 },
            ],
          },
        },
      },
      links,
    );
    expect(order).toMatchObject({
      customerExternalId: 'cus_9',
      amountRefunded: { amount: 1500, currency: 'GBP' },
      refunds: [
        {
          externalId: 're_1',
          amount: { amount: 1500, currency: 'GBP' },
          status: 'succeeded',
          createdAt: new Date(1_700_100_000_000),
        },
      ],
      url: 'https://dashboard.stripe.com/payments/pi_1',
    });
    expect(toPaymentOrder({ ...intent, latest_charge: null, status: 'canceled' }, links)).toMatchObject({
      amountRefunded: { amount: 0, currency: 'GBP' },
      status: 'CANCELED',
    });
  });

  it('splits names on the last space and rejects a customer without an id', () => {
    expect(splitName('Mary Ann Smith')).toEqual({ firstName: 'Mary Ann', lastName: 'Smith' });
    expect(splitName('Cher')).toEqual({ firstName: 'Cher', lastName: null });
    expect(splitName('  ')).toEqual({ firstName: null, lastName: null });
    expect(splitName(null)).toEqual({ firstName: null, lastName: null });
    expect(() => toPersonRecord({ object: 'customer', created: 1 }, links)).toThrow(
      /stripe sent an unexpected response: customer\.id/,
    );
    expect(() => toPersonRecord({ id: 'cus_1', created: null }, links)).toThrow(/customer cus_1\.created/);
  });
});
