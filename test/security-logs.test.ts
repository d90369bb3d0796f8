import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { type Sandboxes } from '../src/sandbox/start.ts';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { CUSTOMER_360_QUERY } from '../src/graph/example-queries.ts';
import { clearFaults, injectFault } from '../harness/sandbox-admin.ts';
import { inBooks } from './support/books.ts';

// What the hub writes to its logs while vendors fail and callers send customer data: one line per
// request with what an operator needs, and never the query's literals, variables, customer data or
// keys. The logger is a plain pino logger at `debug` (no redaction of its own), so the test shows
// the hub does not log such things at all, rather than relying on the production logger's scrubbing.

let app: RunningSwitchboard;
let sandboxes: Sandboxes;
const lines: string[] = [];
const business = generateBusiness();
const responses: unknown[] = [];

const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

const gql = async (query: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.developmentKey}` },
    body: JSON.stringify({ query, variables, operationName }),
  });
  const body = (await res.json()) as { data?: any; errors?: any[] };
  responses.push(body);
  return { status: res.status, body };
};

beforeAll(async () => {
  const logger = pino({ level: 'debug' }, sink);
  app = await startSwitchboard(loadConfig({ PORT: '0', DATABASE_URL: ':memory:' }), {
    logger,
    sandboxOptions: { relaxed: true },
  });
  sandboxes = app.sandboxes as Sandboxes;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('logs', () => {
  const searched = business.customers.find(
    (c) => c.mess.length === 0 && customerAt(c, 'hubspot') && customerAt(c, 'stripe') && inBooks(c),
  )!;
  const newcomers = [1, 2].map((n) => ({
    firstName: n === 1 ? 'Philippa' : 'Ottoline',
    lastName: n === 1 ? 'Quennell-Ashworth' : 'Featherstonehaugh',
    email: `newcomer.${n}@logs-secret.example`,
    phone: `+44 7700 90098${n}`,
    company: `Quennell Osteopathy Partners ${n}`,
  }));
  const changes = [1, 2].map((n) => ({
    email: `renamed.${n}@logs-secret.example`,
    phone: `+44 7700 90045${n}`,
  }));
  const NAMES = ['Search', 'Customer360', 'One', 'CreateCustomer', 'UpdateCustomer', 'PlaceOrder', 'Invalid'];

  /** The same requests with the vendors up, then with HubSpot and Stripe failing every call. */
  const run = async (phase: 0 | 1, id: string) => {
    const newcomer = newcomers[phase]!;
    const search = await gql(
      `query Search { customers(search: "${searched.email}", first: 5) { edges { node { displayName email phone } } } }`,
      {},
      'Search',
    );
    expect(search.status).toBe(200);
    const page = await gql(CUSTOMER_360_QUERY, { first: 10 }, 'Customer360');
    expect(page.status).toBe(200);
    const one = await gql(
      `query One($id: ID!) { customer(id: $id) { displayName email phone orders { totalCount } invoices { totalCount } } }`,
      { id },
      'One',
    );
    expect(one.body.data.customer).toBeTruthy();
    const created = await gql(
      `mutation CreateCustomer($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id state error steps { name state lastError } } customer { displayName email phone } } }`,
      { input: newcomer },
      'CreateCustomer',
    );
    expect(created.body.data.createCustomer.operation.state).toBe(phase === 0 ? 'COMPLETED' : 'PENDING');
    const updated = await gql(
      `mutation UpdateCustomer($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { operation { id state error } } }`,
      { id, input: changes[phase] },
      'UpdateCustomer',
    );
    expect(updated.status).toBe(200);
    const placed = await gql(
      `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { operation { id state error } } }`,
      {
        input: {
          customerId: id,
          currency: 'GBP',
          lines: [
            { description: `Gift voucher for ${newcomer.firstName} ${newcomer.lastName}`, unitAmount: 4_200 },
          ],
        },
      },
      'PlaceOrder',
    );
    expect(placed.body.data.placeOrder.operation.state).toBe(phase === 0 ? 'COMPLETED' : 'PENDING');
    const invalid = await gql(
      `mutation Invalid($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id } } }`,
      { input: { ...newcomer, email: `not-an-email ${newcomer.phone}` } },
      'Invalid',
    );
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    return { page, one };
  };

  it('carry one line per request with operation, document, actor, status and ms, and no customer data, variables or keys', async () => {
    const row = (await app.hub.links.findCustomersByEmail('default', [searched.email])).get(
      searched.email,
    )![0]!;
    const id = toGlobalId('Customer', row.id);
    const firstLine = lines.length;
    const clean = await run(0, id);
    expect(clean.page.body.errors).toBeUndefined();
    expect(clean.one.body.data.customer.email).toBe(searched.email);

    await injectFault(sandboxes.crm.url, { status: 500 });
    await injectFault(sandboxes.payments.url, { status: 500 });
    try {
      app.hub.cache.clear();
      const faulted = await run(1, id);
      expect(faulted.page.body.errors?.some((e) => e.extensions?.code === 'SOURCE_ERROR')).toBe(true);
      // Let the outbox worker retry the failed steps a little: its logs count too.
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await clearFaults(sandboxes.crm.url, sandboxes.payments.url);
    }

    const logged = lines.slice(firstLine).join('\n');
    expect(logged.length).toBeGreaterThan(0);

    // Everything customer-shaped the responses carried, and every seeded customer's contact details.
    const shown = new Set<string>();
    const collect = (value: unknown, key?: string) => {
      if (
        typeof value === 'string' &&
        ['email', 'phone', 'displayName'].includes(key ?? '') &&
        value.length > 3
      ) {
        shown.add(value);
      } else if (Array.isArray(value)) value.forEach((v) => collect(v));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, k);
    };
    collect(responses);
    expect(shown.size).toBeGreaterThan(10);
    const forbidden = new Map<string, string>();
    for (const text of shown) forbidden.set(text, 'shown in a response');
    for (const c of business.customers) {
      forbidden.set(c.email, `seeded email of ${c.key}`);
      if (c.phone) forbidden.set(c.phone, `seeded phone of ${c.key}`);
    }
    forbidden.set(searched.email, 'the searched email');
    forbidden.set(`${searched.firstName} ${searched.lastName}`, 'the searched name');
    for (const [i, newcomer] of newcomers.entries()) {
      for (const [field, value] of Object.entries({ ...newcomer, ...changes[i] }))
        forbidden.set(value, `variable ${field}`);
      forbidden.set(`${newcomer.firstName} ${newcomer.lastName}`, 'a full name from the variables');
      forbidden.set(`not-an-email ${newcomer.phone}`, 'the invalid variable');
    }
    forbidden.set(app.developmentKey!, 'the development key');
    forbidden.set(
      app.developmentKey!.split('_').slice(0, 3).join('_') + '_',
      'the development key prefix and id',
    );
    const found = [...forbidden].filter(([text]) => logged.includes(text));
    expect(
      found.map(([text, why]) => `${why}: ${text} in ${lines.find((l) => l.includes(text))?.slice(0, 400)}`),
    ).toEqual([]);
    // Phone numbers in other spellings (digits only).
    for (const c of business.customers.slice(0, 50)) {
      const digits = c.phone?.replace(/\D/g, '');
      if (digits && digits.length >= 9) expect(logged.replace(/\D/g, ' ')).not.toContain(` ${digits} `);
    }

    // One line per GraphQL request, with what an operator needs.
    const requests = lines
      .slice(firstLine)
      .map((l) => JSON.parse(l) as Record<string, any>)
      .filter((l) => l.msg === 'graphql request');
    expect(requests.map((r) => r.operation)).toEqual([...NAMES, ...NAMES]);
    const actor = (await app.security.keys.verify(app.developmentKey!))!.id;
    for (const r of requests) {
      expect(r.document, r.operation).toMatch(/^[0-9a-f]{16}$/);
      expect(r.actor).toBe(actor);
      expect(r.status).toEqual(expect.any(Number));
      expect(r.ms).toEqual(expect.any(Number));
      expect(r.workspace).toBe('default');
    }
    expect(requests.find((r) => r.operation === 'Invalid')!.errors).toContain('BAD_USER_INPUT');
    expect(requests.slice(NAMES.length).find((r) => r.operation === 'Customer360')!.errors).toContain(
      'SOURCE_ERROR',
    );
    // The same document hashes alike, different ones differently.
    expect(new Set(requests.map((r) => r.document)).size).toBe(NAMES.length);
  });
});
