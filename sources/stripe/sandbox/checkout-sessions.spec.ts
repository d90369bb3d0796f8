import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeState, encodeState } from '../../../src/sandbox/kit/persist.ts';
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
  await admin(sandbox, '/__sandbox/webhooks/settings', { retryBaseMs: 20, duplicate: 0, outOfOrder: false });
});
afterEach(async () => {
  for (const endpoint of (await stripe.webhookEndpoints.list({ limit: 100 })).data) {
    await stripe.webhookEndpoints.del(endpoint.id);
  }
});

const seedCustomer = () => business.customers.find((c) => customerAt(c, 'stripe'))!;
const unix = () => Math.floor(Date.now() / 1000);

/** A deposit session as the hub makes one. */
function depositParams(
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'payment',
    line_items: [
      {
        price_data: {
          currency: 'gbp',
          unit_amount: 2000,
          product_data: { name: 'Deposit: Sports massage (60 min)' },
        },
        quantity: 1,
      },
    ],
    customer_email: 'new.client@example.com',
    metadata: { booking_ref: 'BK-1' },
    payment_intent_data: {
      metadata: { booking_ref: 'BK-1', deposit: 'true' },
      description: 'Deposit: Sports massage (60 min)',
    },
    success_url: 'https://studio.example/booked?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://studio.example/cancelled',
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

async function endpoint() {
  const path = `/checkout-hooks/${++hookCount}`;
  const created = await stripe.webhookEndpoints.create({ url: receiver.url(path), enabled_events: ['*'] });
  return { path, secret: created.secret! };
}

const verify = (delivery: Delivery, secret: string) =>
  stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature'] as string, secret);

describe('checkout sessions over the API', () => {
  it('creates an open, unpaid session shaped as Stripe shapes it, and emits nothing', async () => {
    const hook = await endpoint();
    const before = unix();
    const session = await stripe.checkout.sessions.create(depositParams(), { idempotencyKey: 'cs-1' });
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: null,
      amount_total: 2000,
      amount_subtotal: 2000,
      currency: 'gbp',
      customer: null,
      customer_email: 'new.client@example.com',
      metadata: { booking_ref: 'BK-1' },
      success_url: 'https://studio.example/booked?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://studio.example/cancelled',
      livemode: false,
    });
    expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]{58}$/);
    expect(session.url).toBe(`${sandbox.url}/c/pay/${session.id}`);
    // Default lifetime: 24 hours.
    expect(session.expires_at - session.created).toBe(86_400);
    expect(session.created).toBeGreaterThanOrEqual(before);

    const again = await stripe.checkout.sessions.create(depositParams(), { idempotencyKey: 'cs-1' });
    expect(again.id).toBe(session.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');

    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      id: session.id,
      status: 'open',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.at(hook.path)).toHaveLength(0);
  });

  it('takes an existing customer, lists by customer and status, and expires only open sessions', async () => {
    const customer = seedCustomer().ids.stripeCustomerId;
    const expiresAt = unix() + 3_600;
    const mine = await stripe.checkout.sessions.create(
      depositParams({ customer_email: undefined, customer, expires_at: expiresAt }),
    );
    expect(mine).toMatchObject({ customer, customer_email: null, expires_at: expiresAt });
    const other = await stripe.checkout.sessions.create(depositParams());

    const byCustomer = await stripe.checkout.sessions.list({ customer });
    expect(byCustomer.data.map((s) => s.id)).toEqual([mine.id]);
    const all = await stripe.checkout.sessions.list();
    expect(all.data.map((s) => s.id)).toEqual([other.id, mine.id]);

    const expired = await stripe.checkout.sessions.expire(mine.id);
    expect(expired).toMatchObject({ id: mine.id, status: 'expired', payment_status: 'unpaid', url: null });
    expect((await stripe.checkout.sessions.list({ status: 'expired' })).data.map((s) => s.id)).toEqual([
      mine.id,
    ]);
    expect((await stripe.checkout.sessions.list({ status: 'open' })).data.map((s) => s.id)).toEqual([
      other.id,
    ]);

    const twice = await failure(stripe.checkout.sessions.expire(mine.id));
    expect(twice).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(twice.message).toContain('Only Checkout Sessions with a status in ["open"] can be expired');
  });

  it('answers bad input with Stripe’s 400s, naming the parameter', async () => {
    const cases: Array<[Stripe.Checkout.SessionCreateParams, string | undefined, RegExp]> = [
      [depositParams({ mode: 'subscription' }), 'mode', /payment mode only/],
      [depositParams({ success_url: undefined }), 'success_url', /Missing required param: success_url/],
      [depositParams({ success_url: 'not a url' }), 'success_url', /Not a valid URL/],
      [depositParams({ expires_at: unix() + 60 }), 'expires_at', /at least 30 minutes/],
      [depositParams({ expires_at: unix() + 90_000 }), 'expires_at', /less than 24 hours/],
      [
        depositParams({ customer: 'cus_doesnotexist' }),
        undefined,
        /You may only specify one of these parameters: customer, customer_email/,
      ],
      [
        depositParams({ customer_email: undefined, customer: 'cus_doesnotexist' }),
        'customer',
        /No such customer: 'cus_doesnotexist'/,
      ],
      [depositParams({ line_items: [] }), 'line_items', /line_items is required/],
      [
        depositParams({
          line_items: [
            { price_data: { currency: 'gbp', unit_amount: 10, product_data: { name: 'x' } }, quantity: 1 },
          ],
        }),
        'line_items[0][price_data][unit_amount]',
        /Amount must be at least £0.30 gbp/,
      ],
      [
        depositParams({ line_items: [{ price: 'price_123', quantity: 1 }] }),
        'line_items[0][price]',
        /No such price: 'price_123'/,
      ],
    ];
    for (const [params, param, message] of cases) {
      const error = await failure(stripe.checkout.sessions.create(params));
      expect(error, String(message)).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
      expect(error.param).toBe(param);
      expect(error.message).toMatch(message);
    }
    const missing = await failure(stripe.checkout.sessions.retrieve('cs_test_nope'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await stripe.checkout.sessions.list()).toMatchObject({ data: [] });
  });

  it('expires a session through the admin action, emitting checkout.session.expired', async () => {
    const hook = await endpoint();
    const session = await stripe.checkout.sessions.create(depositParams());
    const forced = await admin(sandbox, '/__sandbox/actions/expire-checkout-session', {
      session: session.id,
    });
    expect(forced).toMatchObject({ status: 200, body: { id: session.id, status: 'expired' } });
    await waitFor(() => receiver.at(hook.path).length === 1);
    const event = verify(receiver.at(hook.path)[0]!, hook.secret);
    expect(event).toMatchObject({
      type: 'checkout.session.expired',
      request: { id: null, idempotency_key: null },
      data: { object: { id: session.id, status: 'expired' } },
    });
    const again = await admin(sandbox, '/__sandbox/actions/expire-checkout-session', { session: session.id });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatch(/Only Checkout Sessions with a status in \["open"\]/);
  });
});

describe('the hosted page', () => {
  it('shows the business, what is paid for and the amount, with Pay and Cancel, escaping vendor text', async () => {
    const session = await stripe.checkout.sessions.create(
      depositParams({
        payment_intent_data: { description: 'Deposit <b>for</b> "you"' },
        cancel_url: 'https://studio.example/cancel?a=1&b=2',
      }),
    );
    const res = await fetch(session.url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<h1>Pay Harbour Lane Physio &amp; Massage</h1>');
    expect(html).toContain('Deposit &lt;b&gt;for&lt;/b&gt; &quot;you&quot;');
    expect(html).not.toContain('<b>for</b>');
    expect(html).toContain('£20.00');
    expect(html).toMatch(
      /<form method="post" action="\/c\/pay\/cs_test_\w+\/pay">\s*<button type="submit">Pay<\/button>/,
    );
    expect(html).toContain('<a href="https://studio.example/cancel?a=1&amp;b=2" role="button">Cancel</a>');
    expect((await fetch(`${sandbox.url}/c/pay/cs_test_unknown`)).status).toBe(404);
  });

  it('paying makes a succeeded payment intent, completes the session, sends the events in order and redirects', async () => {
    const hook = await endpoint();
    const customer = seedCustomer().ids.stripeCustomerId;
    const session = await stripe.checkout.sessions.create(
      depositParams({ customer_email: undefined, customer }),
    );
    const res = await fetch(`${session.url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://studio.example/booked?session=${session.id}`);

    const paid = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    const pi = paid.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount: 2000,
      amount_received: 2000,
      currency: 'gbp',
      customer,
      description: 'Deposit: Sports massage (60 min)',
      metadata: { booking_ref: 'BK-1', deposit: 'true' },
    });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, amount: 2000, payment_intent: pi.id });
    expect((await stripe.checkout.sessions.list({ payment_intent: pi.id })).data.map((s) => s.id)).toEqual([
      session.id,
    ]);

    await waitFor(() => receiver.at(hook.path).length === 4);
    const events = receiver.at(hook.path).map((d) => verify(d, hook.secret));
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
    expect(events[3]).toMatchObject({
      data: { object: { id: session.id, status: 'complete', payment_status: 'paid', payment_intent: pi.id } },
    });

    // Paying again takes nothing more.
    const intents = async () =>
      ((await (await fetch(`${sandbox.url}/__sandbox`)).json()) as { counts: { paymentIntents: number } })
        .counts.paymentIntents;
    const before = await intents();
    const again = await fetch(`${session.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already complete');
    expect(await intents()).toBe(before);
    const done = await fetch(session.url!);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>This checkout session is already complete</h1>');
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_intent).toBe(pi.id);
  });

  it('refuses to take payment on an expired session', async () => {
    const session = await stripe.checkout.sessions.create(depositParams());
    await stripe.checkout.sessions.expire(session.id);
    const page = await fetch(session.url!);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    const pay = await fetch(`${session.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(pay.status).toBe(410);
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_intent).toBeNull();
  });
});

describe('expiry on the clock', () => {
  it('expires a session once its expires_at has passed, when read and with nobody reading', async () => {
    // Its own sandbox: moving the clock on is for good (the sandbox's clock never runs back).
    const own = await startStripeSandbox({ business });
    const sdk = sdkFor(own);
    try {
      const read = await sdk.checkout.sessions.create(depositParams({ expires_at: unix() + 1_810 }));
      const unread = await sdk.checkout.sessions.create(depositParams({ expires_at: unix() + 1_810 }));
      const later = await sdk.checkout.sessions.create(depositParams({ expires_at: unix() + 7_200 }));
      // A few seconds over the minimum: the sandbox's clock may tick between unix() and the request.
      // Only Date is faked: sockets and the sandbox's sweep timer keep running.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 32 * 60_000);
      expect(await sdk.checkout.sessions.retrieve(read.id)).toMatchObject({ status: 'expired', url: null });
      expect((await sdk.checkout.sessions.retrieve(later.id)).status).toBe('open');
      const events = await sdk.events.list({ type: 'checkout.session.expired' });
      expect(events.data.map((e) => (e.data.object as { id: string }).id).sort()).toEqual(
        [read.id, unread.id].sort(),
      );
      const pay = await fetch(`${read.url}/pay`, { method: 'POST', redirect: 'manual' });
      expect(pay.status).toBe(410);
    } finally {
      vi.useRealTimers();
      await own.close();
    }
  });

  it('expires sessions from the timer, with no request at all', async () => {
    const own = await startStripeSandbox({ business });
    const sdk = sdkFor(own);
    try {
      const session = await sdk.checkout.sessions.create(depositParams({ expires_at: unix() + 1_810 }));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 32 * 60_000);
      const describe = async () =>
        (await (await fetch(`${own.url}/__sandbox`)).json()) as { counts: { events: number } };
      // The admin index reads no session: only the sweep can have emitted the event. (Date is
      // frozen here, so the wait counts attempts.)
      let events = 0;
      for (let attempt = 0; events === 0 && attempt < 60; attempt++) {
        await new Promise((r) => setTimeout(r, 50));
        events = (await describe()).counts.events;
      }
      expect(events).toBe(1);
      vi.useRealTimers();
      expect((await sdk.checkout.sessions.retrieve(session.id)).status).toBe('expired');
    } finally {
      vi.useRealTimers();
      await own.close();
    }
  });
});

describe('saved state', () => {
  it('keeps sessions across a save and a restart, and loads a save from before Checkout existed', async () => {
    const session = await stripe.checkout.sessions.create(depositParams());
    const saved = decodeState(encodeState(sandbox.state!.snapshot()));
    const restarted = await startStripeSandbox({ business });
    try {
      restarted.state!.restore(saved);
      const sdk = sdkFor(restarted);
      expect(await sdk.checkout.sessions.retrieve(session.id)).toMatchObject({
        id: session.id,
        status: 'open',
      });
      const paid = await fetch(`${restarted.url}/c/pay/${session.id}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(paid.status).toBe(303);

      const { checkoutSessions: _dropped, ...older } = saved as Record<string, unknown>;
      restarted.state!.restore(older);
      expect((await sdk.checkout.sessions.list()).data).toEqual([]);
    } finally {
      await restarted.close();
    }
  });
});
