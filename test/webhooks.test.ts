import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { type Sandboxes } from '../src/sandbox/start.ts';
import { customerAt, generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { sourceStateContext } from '../src/store/secrets-at-rest.ts';
import { sseSubscriber, wsSubscriber } from './support/subscribers.ts';
import { waitFor } from '../harness/wait.ts';
import { sandboxAction } from '../harness/sandbox-admin.ts';
import { booksSeedIds, inBooks } from './support/books.ts';

// The whole path with real sockets: a change made in a vendor's system (its sandbox's admin surface)
// → the vendor's signed webhook → the hub's inbox → domain event → graphql-ws and SSE subscribers.
let app: RunningSwitchboard;
let sandboxes: Sandboxes;
const business = generateBusiness();

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.developmentKey}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
};
/** The hub as subscribers reach it: sandbox mode's development key holds every scope. */
const hub = () => ({ url: app.url, key: app.developmentKey! });
const eventually = <T>(check: () => T | undefined, what: string) => waitFor(check, () => what, 15_000, 25);

beforeAll(async () => {
  app = await startSwitchboard(loadConfig({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent' }), {
    sandboxOptions: { webhooks: { retryBaseMs: 50 }, relaxed: true },
  });
  sandboxes = app.sandboxes as Sandboxes;
}, 60_000);
afterAll(() => app?.close());

describe('vendor webhooks become live subscriptions', () => {
  it('a booking moved in the calendar reaches a graphql-ws and an SSE subscriber, and the next query sees it', async () => {
    const booking = upcomingBookings(business, { heldBy: 'hubspot' })[0]!;
    const customer = business.customers.find((c) => c.key === booking.customerKey)!;
    const ws = wsSubscriber(
      hub(),
      `subscription { events(types: [BOOKING_CHANGED]) { id type source booking { id start status } customer { email } } }`,
    );
    const sse = sseSubscriber(
      hub(),
      `subscription { bookingChanged { id start customer { email displayName } } }`,
    );
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));

    const id = toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`);
    const before = await gql(`query($id: ID!) { booking(id: $id) { start } }`, { id });
    expect(new Date(before.data.booking.start).getTime()).toBe(booking.start.getTime());

    const start = new Date(booking.start.getTime() + 2 * 3_600_000);
    const end = new Date(booking.end.getTime() + 2 * 3_600_000);
    await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
      eventId: booking.ids.googleEventId,
      start: start.toISOString(),
      end: end.toISOString(),
    });

    const viaWs = await eventually(
      () => ws.received.find((d) => d.events.booking?.id === id),
      'the moved booking on graphql-ws',
    );
    expect(viaWs.events).toMatchObject({
      type: 'BOOKING_CHANGED',
      source: 'GOOGLE_CALENDAR',
      customer: { email: customer.email },
    });
    expect(new Date(viaWs.events.booking.start).getTime()).toBe(start.getTime());
    const viaSse = await eventually(
      () => sse.received.find((d) => d.data?.bookingChanged?.id === id),
      'the moved booking on SSE',
    );
    expect(viaSse.data.bookingChanged.customer.email).toBe(customer.email);
    expect(ws.errors).toEqual([]);

    const after = await gql(`query($id: ID!) { booking(id: $id) { start } }`, { id });
    expect(new Date(after.data.booking.start).getTime()).toBe(start.getTime());

    await ws.close();
    await sse.close();
  });

  it('after the calendar sync token expires (410), a full resync still reports what changed', async () => {
    const booking = upcomingBookings(business)[5]!;
    const id = toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`);
    const ws = wsSubscriber(hub(), `subscription { bookingChanged { id start } }`);
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));
    await sandboxAction(`${sandboxes.calendar.url}/__sandbox/expire-sync-tokens`, {});
    const start = new Date(booking.start.getTime() + 3_600_000);
    await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
      eventId: booking.ids.googleEventId,
      start: start.toISOString(),
      end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
    });
    const got = await eventually(
      () => ws.received.find((d) => d.bookingChanged.id === id),
      'the booking after a full resync',
    );
    expect(new Date(got.bookingChanged.start).getTime()).toBe(start.getTime());
    await ws.close();
  });

  it('out-of-order deliveries never move an object back to an older state', async () => {
    const person = business.customers.filter((c) => c.mess.length === 0 && customerAt(c, 'stripe'))[7]!;
    const ws = wsSubscriber(
      hub(),
      `subscription { events(types: [CUSTOMER_CHANGED]) { id source customer { id } } }`,
    );
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/webhooks/settings`, { outOfOrder: true });
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
      customer: person.ids.stripeCustomerId,
      phone: '+44 7700 900001',
    });
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
      customer: person.ids.stripeCustomerId,
      phone: '+44 7700 900002',
    });
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/webhooks/flush`, {}); // newest first
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/webhooks/settings`, { outOfOrder: false });
    await eventually(
      () => (ws.received.filter((d) => d.events.source === 'STRIPE').length >= 2 ? true : undefined),
      'both deliveries',
    );
    // Whatever order the deliveries came in, the hub read the customer as Stripe holds it now.
    const linked = (
      await app.hub.links.entitiesFor('default', 'customer', 'stripe', [person.ids.stripeCustomerId])
    ).get(person.ids.stripeCustomerId)!;
    const stripeRecord = await app.hub.defaultWorkspace.sources.payments.getCustomers([
      person.ids.stripeCustomerId,
    ]);
    expect((stripeRecord[0] as { phone: string }).phone).toBe('+44 7700 900002');
    const cached = app.hub.cache.get<{ phone: string }>(
      'default',
      'stripe',
      'customer',
      person.ids.stripeCustomerId,
    );
    expect(cached === undefined || cached.value.phone === '+44 7700 900002').toBe(true);
    expect(linked).toBeTruthy();
    await ws.close();
  });

  it('a paid invoice in the accounting package, an edited contact in the CRM and a payment at Stripe all arrive as typed events', async () => {
    const ws = wsSubscriber(
      hub(),
      `subscription { events { id type source customer { id email phone } invoice { id status amountDue { amount } } order { id status } } }`,
    );
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));

    // An unpaid invoice of the bound books (SWITCHBOARD_ACCOUNTING), paid "in the accounting app".
    const books = sandboxes.accounting.system;
    const booksIds = booksSeedIds(books, business);
    const invoice = business.invoices.find((i) => i.status === 'AUTHORISED' && booksIds.invoices.has(i.key))!;
    const invoiceId = booksIds.invoice(invoice.key);
    await sandboxAction(`${sandboxes.accounting.url}/__sandbox/actions/pay-invoice`, { invoiceId });
    const paid = await eventually(
      () =>
        ws.received.find(
          (d) =>
            d.events.type === 'INVOICE_CHANGED' &&
            d.events.invoice?.id === toGlobalId('Invoice', `${books}:${invoiceId}`),
        ),
      'the paid invoice',
    );
    expect(paid.events.invoice).toMatchObject({ status: 'PAID', amountDue: { amount: 0 } });

    const person = business.customers.find(
      (c) => c.mess.length === 0 && c.lifecycleStage === 'customer' && customerAt(c, 'stripe'),
    )!;
    await sandboxAction(`${sandboxes.crm.url}/__sandbox/actions/edit-contact`, {
      id: person.ids.hubspotContactId,
      properties: { phone: '+44 7700 900555' },
    });
    const edited = await eventually(
      () =>
        ws.received.find(
          (d) =>
            d.events.type === 'CUSTOMER_CHANGED' &&
            d.events.source === 'HUBSPOT' &&
            d.events.customer?.email === person.email,
        ),
      'the edited contact',
    );
    expect(edited.events.customer.phone).toBe('+44 7700 900555');
    // The sync rule "CRM contact to the others" carries the phone to Stripe.
    const stripe = new Stripe(sandboxes.payments.credentials.apiKey!, {
      host: '127.0.0.1',
      port: Number(new URL(sandboxes.payments.url).port),
      protocol: 'http',
    });
    const deadline = Date.now() + 10_000;
    let phone: string | null | undefined;
    while (Date.now() < deadline) {
      phone = ((await stripe.customers.retrieve(person.ids.stripeCustomerId)) as Stripe.Customer).phone;
      if (phone === '+44 7700 900555') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(phone).toBe('+44 7700 900555');
    await ws.close();
  });

  it('a payment that succeeds at Stripe is received and recorded against its invoice (sync rule)', async () => {
    const person = business.customers.find(
      (c) => c.mess.length === 0 && c.lifecycleStage === 'customer' && inBooks(c),
    )!;
    const customerId = (
      await gql(`{ customers(search: "${person.email}", first: 1) { edges { node { id } } } }`)
    ).data.customers.edges[0].node.id;
    const placed = await gql(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { operation { state } order { id } invoice { id } } }`,
      { input: { customerId, currency: 'GBP', lines: [{ description: 'Gift voucher', unitAmount: 5000 }] } },
    );
    expect(placed.data.placeOrder.operation.state).toBe('COMPLETED');
    const orderId = placed.data.placeOrder.order.id;
    const piId = Buffer.from(orderId, 'base64url').toString().split(':').at(-1)!;
    const ws = wsSubscriber(
      hub(),
      `subscription { paymentReceived { id status amountReceived { amount } } }`,
    );
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));
    const stripe = new Stripe(sandboxes.payments.credentials.apiKey!, {
      host: '127.0.0.1',
      port: Number(new URL(sandboxes.payments.url).port),
      protocol: 'http',
    });
    await stripe.paymentIntents.confirm(piId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://example.test/return',
    });
    const received = await eventually(
      () => ws.received.find((d) => d.paymentReceived.id === orderId),
      'the payment',
    );
    expect(received.paymentReceived).toMatchObject({ status: 'SUCCEEDED', amountReceived: { amount: 5000 } });
    const invoiceId = placed.data.placeOrder.invoice.id;
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await gql(`query($id: ID!) { invoice(id: $id) { status } }`, { id: invoiceId })).data.invoice
        .status;
      if (status === 'PAID') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('PAID');
    await ws.close();
  });
});

describe('webhook intake', () => {
  const stripeEvent = (id: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'customer.updated',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: business.customers.find((c) => customerAt(c, 'stripe'))!.ids.stripeCustomerId,
          object: 'customer',
        },
      },
    });
  /** The signing secret the hub learnt from Stripe, as it reads it from the store (sealed there). */
  const secret = async () => {
    const row = await app.hub.store.db
      .selectFrom('source_state')
      .select(['workspace_id', 'value'])
      .where('system', '=', 'stripe')
      .where('key', '=', 'webhook_secret')
      .executeTakeFirstOrThrow();
    return app.hub.store.secrets.open(
      row.value,
      sourceStateContext(row.workspace_id, 'stripe', 'webhook_secret'),
    );
  };
  const post = (body: string, signature: string) =>
    fetch(`${app.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
    });
  const metric = async (outcome: string) => {
    const text = await (
      await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${app.developmentKey}` } })
    ).text();
    return Number(
      new RegExp(`switchboard_webhooks_received_total\\{source="stripe",outcome="${outcome}"\\} (\\d+)`).exec(
        text,
      )?.[1] ?? 0,
    );
  };

  it('subscribers of the same selection share one execution of each event; another selection runs its own', async () => {
    const booking = upcomingBookings(business)[9]!;
    const id = toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`);
    const same =
      'subscription { events(types: [BOOKING_CHANGED]) { booking { id start } customer { displayName } } }';
    const other = 'subscription { events(types: [BOOKING_CHANGED]) { booking { id } customer { id } } }';
    const subscribers = [
      wsSubscriber(hub(), same),
      wsSubscriber(hub(), same),
      sseSubscriber(hub(), same),
      wsSubscriber(hub(), other),
    ];
    await Promise.all(
      subscribers.filter((s) => 'started' in s).map((s) => (s as { started: Promise<void> }).started),
    );
    await new Promise((r) => setTimeout(r, 200));
    // Each execution of `customer` looks its row up once (its loaders batch within it), in the cache
    // of the hub's tables; the sync rules read the customer straight from the store.
    const cache = app.hub.cache;
    const get = cache.get;
    let reads = 0;
    cache.get = ((workspace: string, source: string, resource: string, key: string) => {
      if (source === 'hub' && key.startsWith('customer:')) reads++;
      return get.call(cache, workspace, source, resource, key);
    }) as typeof get;
    try {
      await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
        eventId: booking.ids.googleEventId,
        start: new Date(booking.start.getTime() + 3_600_000).toISOString(),
        end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
      });
      for (const subscriber of subscribers) {
        await eventually(
          () => subscriber.received.find((d) => (d.events ?? d.data?.events)?.booking?.id === id),
          'the moved booking on every subscriber',
        );
      }
      // Two selections, two executions: not one per subscriber.
      expect(reads).toBe(2);
    } finally {
      delete (cache as Partial<typeof cache>).get;
      await Promise.all(subscribers.map((s) => s.close()));
    }
  });

  it('rejects forged, stale, tampered and oversized deliveries with the status the vendor expects', async () => {
    const stripe = new Stripe('sk_test_unused');
    const body = stripeEvent('evt_forged_1');
    const rejectedBefore = await metric('rejected');
    const wrong = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_wrong' });
    expect((await post(body, wrong)).status).toBe(400);
    const stale = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: await secret(),
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    const staleRes = await post(body, stale);
    expect(staleRes.status).toBe(400);
    expect(((await staleRes.json()) as { error: string }).error).toMatch(/tolerance|timestamp|old/i);
    const good = stripe.webhooks.generateTestHeaderString({ payload: body, secret: await secret() });
    expect((await post(body.replace('customer.updated', 'customer.deleted'), good)).status).toBe(400);
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect((await post(huge, good)).status).toBe(413);
    expect((await fetch(`${app.url}/webhooks/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(await metric('rejected')).toBe(rejectedBefore + 4);
  });

  it('1,000 deliveries of the same event are acknowledged and produce one domain event', async () => {
    const ws = wsSubscriber(hub(), `subscription { events(types: [CUSTOMER_CHANGED]) { id source } }`);
    await ws.started;
    await new Promise((r) => setTimeout(r, 200));
    const stripe = new Stripe('sk_test_unused');
    const body = stripeEvent('evt_same_event_1000');
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: await secret() });
    const duplicatesBefore = await metric('duplicate');
    const statuses: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      statuses.push(
        ...(await Promise.all(Array.from({ length: 50 }, () => post(body, header).then((r) => r.status)))),
      );
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await metric('duplicate')).toBe(duplicatesBefore + 999);
    await eventually(
      () => ws.received.find((d) => d.events.id.startsWith('stripe:evt_same_event_1000:')),
      'the event',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(ws.received.filter((d) => d.events.id.startsWith('stripe:evt_same_event_1000:'))).toHaveLength(1);
    await ws.close();
  });
});
