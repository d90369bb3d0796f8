import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { POSTGRES_URL } from '../harness/stores.ts';
import { startReplicas, stripeCustomerUpdated, type Replicas } from './support/replicas.ts';
import type { HubProcess } from '../harness/hub-process.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { waitFor } from '../harness/wait.ts';

// Two replicas of the hub as separate processes sharing PostgreSQL and Redis: webhooks received by
// replica A reach a subscriber connected to replica B, and each inbox event is processed once.
let replicas: Replicas;
let a: HubProcess;
let b: HubProcess;
let SECRET: string;
let schema: string;

beforeAll(async () => {
  replicas = await startReplicas(['replica-a', 'replica-b']);
  [a, b] = replicas.hubs as [HubProcess, HubProcess];
  SECRET = replicas.stripeSecret;
  schema = replicas.schema;
}, 120_000);

afterAll(() => replicas?.close());

describe('two replicas on PostgreSQL and Redis', () => {
  it('deliver a webhook received by one replica to a subscriber on the other, each event once', async () => {
    const subscriber = wsSubscriber(
      { url: b.url!, key: b.key },
      `subscription { events(types: [CUSTOMER_CHANGED]) { id source customer { email } } }`,
    );
    await subscriber.started;
    await new Promise((r) => setTimeout(r, 300));

    const people = generateBusiness()
      .customers.filter((c) => c.mess.length === 0 && customerAt(c, 'stripe'))
      .slice(0, 20);
    const stripe = new Stripe('sk_test_unused');
    const sent: string[] = [];
    for (const [i, person] of people.entries()) {
      const id = `evt_replicas_${i}_${randomBytes(4).toString('hex')}`;
      const payload = stripeCustomerUpdated(id, person.ids.stripeCustomerId);
      const res = await fetch(`${a.url}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
        },
        body: payload,
      });
      expect(res.status, await res.text()).toBe(200);
      sent.push(id);
    }

    const idsSeen = () => subscriber.received.map((d) => String(d.events.id).split(':')[1] ?? '');
    await waitFor(
      () => (sent.every((id) => idsSeen().includes(id)) ? true : undefined),
      () =>
        `all ${sent.length} events on replica B; saw ${JSON.stringify(idsSeen())}\nA: ${a.output()}\nB: ${b.output()}`,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500)); // a second copy, if any, would arrive now
    for (const id of sent)
      expect(
        idsSeen().filter((seen) => seen === id),
        id,
      ).toHaveLength(1);
    const emails = new Set(subscriber.received.map((d) => d.events.customer?.email));
    for (const person of people) expect(emails.has(person.email)).toBe(true);
    expect(subscriber.errors).toEqual([]);
    await subscriber.close();

    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const rows = await client.query(
      `select state, count(*)::int as n from "${schema}".webhook_inbox where source = 'stripe' and event_id like 'evt_replicas_%' group by state`,
    );
    await client.end();
    expect(rows.rows).toEqual([{ state: 'PROCESSED', n: sent.length }]);
  }, 90_000);

  it('share one rate budget per vendor through Redis: a call through A is counted on B', async () => {
    const post = async (url: string, query: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    // The books' minute window (Xero's, or QuickBooks' with SWITCHBOARD_ACCOUNTING=quickbooks).
    const books = replicas.sandboxes.endpoints.accounting.system.toUpperCase();
    const booksMinute = async (url: string) => {
      const body = await post(url, '{ sources { system budget { shared windows { name remaining } } } }');
      const budget = body.data.sources.find((s: any) => s.system === books).budget;
      expect(budget.shared).toBe(true);
      return budget.windows.find((w: any) => w.name === 'minute').remaining as number;
    };
    const before = await booksMinute(b.url!);
    const page = await post(
      a.url!,
      '{ customers(first: 40) { edges { node { invoices(first: 1) { totalCount } } } } }',
    );
    expect(page.errors).toBeUndefined();
    expect(await booksMinute(b.url!)).toBeLessThan(before);
  }, 30_000);

  it('a write through A is seen at once through B: its cache invalidation crosses Redis, response cache included', async () => {
    const post = async (hub: HubProcess, query: string, variables?: Record<string, unknown>) => {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.key}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown[]; extensions?: any };
      expect(body.errors).toBeUndefined();
      lastHit = body.extensions?.responseCache?.hit === true;
      return body.data;
    };
    let lastHit = false;
    const person = generateBusiness().customers.find((c) => c.mess.length === 0 && customerAt(c, 'hubspot'))!;
    const found = await post(
      b,
      'query($q: String!) { customers(search: $q, first: 1) { edges { node { id } } } }',
      {
        q: person.email,
      },
    );
    const id = found.customers.edges[0].node.id as string;
    const read = async (hub: HubProcess) =>
      (await post(hub, 'query($id: ID!) { customer(id: $id) { firstName } }', { id })).customer.firstName;
    expect(await read(b)).toBe(person.firstName); // B's caches now hold the contact and the answer
    expect(await read(b)).toBe(person.firstName);
    expect(lastHit).toBe(true);
    const renamed = `Renamed${randomBytes(3).toString('hex')}`;
    const updated = await post(
      a,
      'mutation($id: ID!, $name: String!) { updateCustomer(id: $id, input: { firstName: $name }) { operation { state } } }',
      { id, name: renamed },
    );
    expect(updated.updateCustomer.operation.state).toBe('COMPLETED');
    // No webhook, no TTL: B dropped its copies (record and whole answer) when A's write said so.
    expect(await read(b)).toBe(renamed);
    expect(lastHit).toBe(false);
  }, 30_000);
});
