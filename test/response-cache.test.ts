import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { dropTestSchema, POSTGRES_URL, storeKinds } from '../harness/stores.ts';
import { waitFor } from '../harness/wait.ts';
import {
  clearFaults,
  clearRequestLog,
  injectFault,
  requestLog,
  sandboxAction,
} from '../harness/sandbox-admin.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { REDIS_URL } from './support/replicas.ts';

// The response cache in front of execution, through the whole app on each store with the Redis bus:
// answers stay true while a vendor changes underneath (freshness), and are never shared between
// callers who may not see the same fields (scope isolation).
const business = generateBusiness();
const booking = upcomingBookings(business, { heldBy: 'hubspot' })[0]!;
const person = business.customers.find((c) => c.key === booking.customerKey)!;
const bookingId = toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`);

interface Answer {
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  extensions?: { responseCache?: { hit: boolean; ageMs: number } };
}

describe.each(storeKinds)('the response cache on %s with Redis', (kind) => {
  let app: RunningSwitchboard;
  let sandboxes: Sandboxes;
  let customerId: string;
  const schema = `sb_responses_${randomBytes(5).toString('hex')}`;
  const post = async (query: string, variables: Record<string, unknown> = {}, key = app.developmentKey!) => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Answer;
  };
  const keyWith = async (scopes: string[]) =>
    (
      await app.security.keys.create({
        workspace: 'default',
        kind: 'secret',
        mode: 'test',
        name: `scopes ${scopes.join(' ')}`,
        scopes,
      })
    ).text;

  beforeAll(async () => {
    app = await startSwitchboard(
      loadConfig({
        PORT: '0',
        DATABASE_URL: kind === 'sqlite' ? ':memory:' : POSTGRES_URL,
        REDIS_URL,
        SWITCHBOARD_REDIS_PREFIX: schema,
        LOG_LEVEL: 'silent',
        // The race test's two clients query in a tight loop, and cache hits take well under a
        // millisecond: far past a caller's 1,200 a minute (CI once got RATE_LIMITED). The callers'
        // limit has tests of its own.
        SWITCHBOARD_RATE_LIMIT: 'off',
      }),
      {
        sandboxOptions: { webhooks: { retryBaseMs: 50 }, relaxed: true },
        databaseSchema: kind === 'postgres' ? schema : undefined,
      },
    );
    sandboxes = app.sandboxes as Sandboxes;
    const linked = await app.hub.links.entitiesFor('default', 'customer', 'hubspot', [
      person.ids.hubspotContactId!,
    ]);
    customerId = toGlobalId('Customer', linked.get(person.ids.hubspotContactId!)!);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (kind === 'postgres') await dropTestSchema(schema);
  });

  it('serves a query again from the cache with no vendor request, whatever the layout of its document and variables', async () => {
    const query = `query Bookings($id: ID!, $from: DateTime!, $to: DateTime!) {
      customer(id: $id) { displayName bookings(from: $from, to: $to) { edges { node { id start } } } }
    }`;
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 200 * 86_400_000).toISOString();
    const first = await post(query, { id: customerId, from, to });
    expect(first.errors).toBeUndefined();
    expect(first.extensions?.responseCache).toBeUndefined();
    await clearRequestLog(...sandboxes.all.map((s) => s.url));
    // The same query re-spaced, its variables in another order: one entry.
    const again = await post(query.replace(/\s+/g, '  '), { to, from, id: customerId });
    expect(again.data).toEqual(first.data);
    expect(again.extensions?.responseCache).toMatchObject({ hit: true });
    const calls = await Promise.all(sandboxes.all.map((s) => requestLog(s.url)));
    expect(calls.map((c) => c.total)).toEqual(sandboxes.all.map(() => 0));
  });

  it('never serves a cached answer to a caller with fewer scopes', async () => {
    const query = 'query($id: ID!) { customer(id: $id) { displayName email phone } }';
    const full = await post(query, { id: customerId });
    expect(full.data.customer.email).toBe(person.email);
    expect((await post(query, { id: customerId })).extensions?.responseCache?.hit).toBe(true);

    // Without customers:pii the same document is refused, cached answer or not.
    const noPii = await keyWith(['customers:read']);
    const refused = await post(query, { id: customerId }, noPii);
    expect(refused.data?.customer).toBeUndefined();
    expect(JSON.stringify(refused)).not.toContain(person.email);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // A document it may run gets an entry of its own: not the full-scope caller's.
    const names = 'query($id: ID!) { customer(id: $id) { displayName } }';
    const fullNames = await post(names, { id: customerId });
    expect(fullNames.data.customer.displayName).toBeTruthy();
    const own = await post(names, { id: customerId }, noPii);
    expect(own.data).toEqual(fullNames.data);
    expect(own.extensions?.responseCache).toBeUndefined();
    expect((await post(names, { id: customerId }, noPii)).extensions?.responseCache?.hit).toBe(true);
  });

  it('a customer created by a mutation is in the cached listing as soon as it answers, its vendors still failing', async () => {
    const listing = '{ customers(first: 1000) { edges { node { id } } } }';
    const ids = (answer: Answer) => answer.data.customers.edges.map((e: any) => e.node.id as string);
    await post(listing);
    expect((await post(listing)).extensions?.responseCache?.hit).toBe(true);
    // No vendor step can finish, so no link is made (which would also drop the listing).
    const people = [sandboxes.crm.url, sandboxes.payments.url, sandboxes.accounting.url];
    for (const url of people) await injectFault(url, { status: 503 });
    try {
      const created = await post(
        'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { state } customer { id } } }',
        { input: { firstName: 'Ada', lastName: 'Cached', email: `ada.${Date.now()}@listing.test` } },
      );
      expect(created.errors).toBeUndefined();
      expect(created.data.createCustomer.operation.state).not.toBe('COMPLETED');
      expect(ids(await post(listing))).toContain(created.data.createCustomer.customer.id);
    } finally {
      await clearFaults(...people);
    }
  }, 30_000);

  it('after a booking moves in the calendar and the webhook is processed, no answer shows the old time', async () => {
    const subscriber = wsSubscriber(
      { url: app.url, key: app.developmentKey! },
      'subscription { bookingChanged { id start } }',
    );
    await subscriber.started;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 200 * 86_400_000).toISOString();
    // The booking's time as the calendar holds it: the seed counts from the day the sandbox started,
    // which is not the day this file was loaded when a run crosses midnight UTC.
    const held = await post('query($id: ID!) { booking(id: $id) { start end } }', { id: bookingId });
    expect(held.errors).toBeUndefined();
    const original = { start: new Date(held.data.booking.start), end: new Date(held.data.booking.end) };
    const queries = [
      { query: 'query($id: ID!) { booking(id: $id) { start } }', variables: { id: bookingId } },
      {
        query:
          'query($id: ID!, $from: DateTime!, $to: DateTime!) { customer(id: $id) { bookings(from: $from, to: $to) { edges { node { id start } } } } }',
        variables: { id: customerId, from, to },
      },
    ];
    const startOf = (answer: Answer): number | undefined => {
      const iso =
        answer.data?.booking?.start ??
        answer.data?.customer?.bookings.edges.find((e: any) => e.node.id === bookingId)?.node.start;
      return iso === undefined ? undefined : new Date(iso).getTime();
    };
    const answers: Array<{ sentAt: number; start: number | undefined; hit: boolean }> = [];
    let looping = true;
    // Two clients querying in a loop from before the change until well after it.
    const clients = queries.map(async ({ query, variables }) => {
      while (looping) {
        const sentAt = Date.now();
        const answer = await post(query, variables);
        expect(answer.errors).toBeUndefined();
        answers.push({ sentAt, start: startOf(answer), hit: answer.extensions?.responseCache?.hit === true });
      }
    });
    await waitFor(
      () => (answers.filter((a) => a.hit).length >= 10 ? true : undefined),
      () => `cached answers before the change (${answers.length} answers so far)`,
      10_000,
      10,
    );

    const moved = new Date(original.start.getTime() + 3 * 3_600_000);
    await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
      eventId: booking.ids.googleEventId,
      start: moved.toISOString(),
      end: new Date(original.end.getTime() + 3 * 3_600_000).toISOString(),
    });
    // The subscriber hears the event after this replica has dropped what it made stale.
    await waitFor(
      () => subscriber.received.find((d) => d.bookingChanged.id === bookingId),
      () => 'the booking change on the subscription',
      15_000,
      5,
    );
    const processed = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    looping = false;
    await Promise.all(clients);
    await subscriber.close();

    const before = answers.filter((a) => a.sentAt < processed);
    const after = answers.filter((a) => a.sentAt >= processed);
    expect(before.some((a) => a.start === original.start.getTime() && a.hit)).toBe(true);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((a) => a.start !== moved.getTime())).toEqual([]);
    // …and the new answer is cached in turn.
    expect(after.some((a) => a.hit)).toBe(true);
  }, 60_000);
});
