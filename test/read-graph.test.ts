import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness, type SeedCustomer } from '../src/sandbox/seed/business.ts';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { normaliseEmail } from '../src/domain/model.ts';
import { storeKinds } from '../harness/stores.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../harness/sandbox-admin.ts';
import { booksSeedIds, unknownBooksId, VARIANT_ROLE } from './support/books.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const WINDOW = { from: '2026-08-01T00:00:00Z', to: '2027-03-01T00:00:00Z' };

const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($id: ID!, $from: DateTime!, $to: DateTime!) {
    customer(id: $id) {
      id
      displayName
      email
      phone
      links {
        system
        externalId
        url
      }
      bookings(from: $from, to: $to, first: 100) {
        totalCount
        edges {
          node {
            id
            title
            status
            start
            customer {
              id
            }
          }
        }
      }
      orders(first: 100) {
        totalCount
        edges {
          node {
            id
            status
            amount {
              amount
              currency
              formatted
            }
            amountRefunded {
              amount
            }
            customer {
              id
            }
          }
        }
      }
      invoices(first: 100) {
        totalCount
        edges {
          node {
            id
            number
            status
            total {
              amount
            }
            amountDue {
              amount
            }
            customer {
              id
            }
          }
        }
      }
      outstandingBalance {
        amount
        currency
      }
      lifetimeValue {
        amount
        currency
      }
      syncIssues {
        kind
        field
        systems
        message
      }
    }
  }
`;

const PAGE_360 = /* GraphQL */ `
  query Page($first: Int!, $from: DateTime!, $to: DateTime!) {
    customers(first: $first) {
      totalCount
      edges {
        node {
          id
          displayName
          email
          bookings(from: $from, to: $to) {
            totalCount
          }
          orders {
            totalCount
          }
          invoices {
            totalCount
          }
          outstandingBalance {
            amount
          }
        }
      }
    }
  }
`;

const present = (c: SeedCustomer) => (['hubspot', 'stripe', 'xero'] as const).filter((s) => customerAt(c, s));

describe.each(storeKinds)('the read graph on %s', (storeKind) => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  /** The books' system (`SWITCHBOARD_ACCOUNTING`) and the seed's ids in them. */
  let books: string;
  let booksIds: ReturnType<typeof booksSeedIds>;
  /** The system a seed variant (`hubspot`, `stripe`, `xero`: the books) stands for in this run. */
  const systemOf = (variant: string) => sandboxes[VARIANT_ROLE[variant]!].system;
  const allUrls = () => sandboxes.all.map((s) => s.url);
  const customerId = async (email: string) => {
    const rows = await t.hub.links.findCustomersByEmail('default', [email]);
    const row = rows.get(email)?.[0];
    if (!row) throw new Error(`no customer for ${email}`);
    return row.id;
  };

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({ store: storeKind, workspaces: [{ id: 'default', sandboxes }] });
    books = sandboxes.accounting.system;
    booksIds = booksSeedIds(books, business);
  });
  afterAll(async () => {
    await t?.close();
    await sandboxes?.close();
  });
  beforeEach(async () => {
    await clearFaults(...allUrls());
    await clearRequestLog(...allUrls());
    t.hub.cache.clear();
  });

  it('backfills one customer per person, linked in every system that has them', async () => {
    const [report] = t.reports;
    const expected = business.customers.filter((c) => present(c).length > 0);
    expect(report?.customers).toBe(expected.length);
    expect(report?.records).toEqual({
      hubspot: business.customers.filter((c) => customerAt(c, 'hubspot')).length,
      stripe: business.customers.filter((c) => customerAt(c, 'stripe')).length,
      [books]: business.customers.filter((c) => customerAt(c, 'xero')).length,
    });
    expect(await t.hub.links.countCustomers('default')).toBe(expected.length);
  });

  it('answers the customer-360 query with linked data from all four systems', async () => {
    const seed = business.customers.find(
      (c) =>
        c.mess.length === 0 &&
        c.lifecycleStage === 'customer' &&
        business.orders.filter((o) => o.customerKey === c.key).length >= 2 &&
        business.invoices.some((i) => i.customerKey === c.key && i.status === 'AUTHORISED'),
    )!;
    const id = await customerId(seed.email);
    const { status, body } = await t.graphql<{ customer: Record<string, any> }>(CUSTOMER_360, {
      id: toGlobalId('Customer', id),
      ...WINDOW,
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const c = body.data!.customer;
    expect(c.displayName).toBe(`${seed.firstName} ${seed.lastName}`);
    expect(c.email).toBe(seed.email);
    expect(c.phone).toBe(seed.phone);
    expect(
      c.links.map((l: { system: string; externalId: string }) => `${l.system}:${l.externalId}`).sort(),
    ).toEqual(
      [
        `HUBSPOT:${seed.ids.hubspotContactId}`,
        `STRIPE:${seed.ids.stripeCustomerId}`,
        `${books.toUpperCase()}:${booksIds.person(seed.key)}`,
      ].sort(),
    );
    const seedBookings = business.bookings.filter(
      (b) => b.customerKey === seed.key && b.start >= new Date(WINDOW.from) && b.start < new Date(WINDOW.to),
    );
    expect(c.bookings.totalCount).toBe(seedBookings.length);
    for (const edge of c.bookings.edges) expect(edge.node.customer.id).toBe(c.id);
    const seedOrders = business.orders.filter((o) => o.customerKey === seed.key);
    expect(c.orders.totalCount).toBe(seedOrders.length);
    for (const edge of c.orders.edges) expect(edge.node.customer.id).toBe(c.id);
    // As the bound books hold them (QuickBooks has no drafts).
    const seedInvoices = business.invoices.filter(
      (i) => i.customerKey === seed.key && booksIds.invoices.has(i.key),
    );
    expect(c.invoices.totalCount).toBe(seedInvoices.length);
    expect(c.invoices.edges.map((e: any) => e.node.number).sort()).toEqual(
      seedInvoices.map((i) => i.number).sort(),
    );
    expect(c.outstandingBalance).toEqual({
      amount: seedInvoices.filter((i) => i.status === 'AUTHORISED').reduce((s, i) => s + i.total, 0),
      currency: 'GBP',
    });
    const paid = seedOrders.filter((o) => o.status === 'succeeded');
    expect(c.lifetimeValue).toEqual({
      amount: paid.reduce((s, o) => s + o.amount - o.refunded, 0),
      currency: 'GBP',
    });
    expect(c.syncIssues).toEqual([]);
  });

  it('surfaces every seeded kind of mismatch as a sync issue on the right customer, and none on the rest', async () => {
    const kindFor: Record<string, string> = {
      email: 'EMAIL_FORMAT_MISMATCH',
      missing: 'MISSING_IN_SYSTEM',
      phone: 'FIELD_MISMATCH',
      name: 'FIELD_MISMATCH',
    };
    const seen = new Set<string>();
    for (const seed of business.customers) {
      const systems = present(seed);
      if (systems.length === 0) continue;
      const id = await customerId(normaliseEmail(seed.email)!);
      const issues = await t.hub.issues.list('default', { customerIds: [id] });
      // Leads live only in the CRM by design; their absence elsewhere is not an issue.
      const relevant = seed.mess.filter((m) => {
        const vendor = m.split('-').at(-1) as 'hubspot' | 'stripe' | 'xero';
        if (m.startsWith('missing')) return seed.lifecycleStage !== 'lead';
        return customerAt(seed, vendor) !== undefined && systems.length > 1;
      });
      if (relevant.length === 0) {
        expect(issues, `${seed.key} ${seed.mess.join(',')}`).toEqual([]);
        continue;
      }
      for (const mess of relevant) {
        const kind = kindFor[mess.split('-')[0]!]!;
        const vendor = mess.split('-').at(-1)!;
        const match = issues.find((i) => i.kind === kind && i.systems.includes(systemOf(vendor) as never));
        expect(match, `${seed.key}: expected ${kind} involving ${systemOf(vendor)}`).toBeDefined();
        if (mess.startsWith('phone')) expect(match?.field).toBe('phone');
        if (mess.startsWith('name')) expect(match?.field).toBe('name');
        seen.add(mess.split('-')[0]!);
      }
    }
    expect([...seen].sort()).toEqual(['email', 'missing', 'name', 'phone']);

    const { body } = await t.graphql<{
      syncIssues: { edges: Array<{ node: { kind: string; customer: { id: string } } }> };
    }>(
      `{ syncIssues(first: 500) { edges { node { kind message systems values { system value } customer { id email } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(new Set(body.data!.syncIssues.edges.map((e) => e.node.kind))).toEqual(
      new Set(['EMAIL_FORMAT_MISMATCH', 'MISSING_IN_SYSTEM', 'FIELD_MISMATCH']),
    );
    for (const edge of body.data!.syncIssues.edges) expect(edge.node.customer.id).toBeTruthy();
  });

  it('loads 100 customers with one upstream request per source per level (cold), and none warm', async () => {
    const cold = await t.graphql<{ customers: { edges: Array<{ node: { email: string } }> } }>(PAGE_360, {
      first: 100,
      ...WINDOW,
    });
    expect(cold.body.errors).toBeUndefined();
    expect(cold.body.data!.customers.edges).toHaveLength(100);
    const [stripe, hubspot, google, accounting] = await Promise.all(
      [sandboxes.payments, sandboxes.crm, sandboxes.calendar, sandboxes.accounting].map((s) =>
        requestLog(s.url),
      ),
    );
    expect(hubspot!.byOperation).toEqual({ 'contacts.batchRead': 1 });
    expect(google!.total).toBe(1);
    // Stripe search takes at most 10 OR clauses: 100 customers need 10 searches at the least.
    expect(Object.keys(stripe!.byOperation)).toEqual(['payment_intents.search']);
    expect(stripe!.total).toBeLessThanOrEqual(10);
    // The books: Xero lists the page's invoices with their payments (two requests at most). A
    // QuickBooks invoice names its payments but not what each paid, so the invoices' Payment
    // records are a level of their own, read 100 ids a query: a number set by the page's payments,
    // never one request per customer.
    const onPage = new Set(cold.body.data!.customers.edges.map((e) => normaliseEmail(e.node.email)));
    const paymentsOnPage = business.invoices
      .filter((i) => booksIds.invoices.has(i.key))
      .filter((i) =>
        onPage.has(normaliseEmail(business.customers.find((c) => c.key === i.customerKey)!.email)),
      )
      .reduce((n, i) => n + i.payments.length, 0);
    const booksBound = books === 'quickbooks' ? 1 + Math.ceil(paymentsOnPage / 100) : 2;
    expect(accounting!.total).toBeLessThanOrEqual(booksBound);
    expect(stripe!.total + hubspot!.total + google!.total + accounting!.total).toBeLessThanOrEqual(20);

    await clearRequestLog(...allUrls());
    // The whole answer, from the response cache, saying so.
    const warm = await t.graphql(PAGE_360, { first: 100, ...WINDOW });
    expect(warm.body.data).toEqual(cold.body.data);
    expect(warm.body.extensions).toMatchObject({ responseCache: { hit: true } });
    // Executed again over the record cache alone: the same answer, still no vendor request.
    t.hub.responses.clear();
    const records = await t.graphql(PAGE_360, { first: 100, ...WINDOW });
    expect(records.body).toEqual(cold.body);
    const after = await Promise.all(allUrls().map(requestLog));
    expect(after.map((r) => r.total)).toEqual([0, 0, 0, 0]);
  });

  it('answers with partial data when one vendor fails, naming the source and whether to retry', async () => {
    await injectFault(sandboxes.accounting.url, { status: 503 });
    const { status, body } = await t.graphql<{ customers: { edges: Array<{ node: Record<string, any> }> } }>(
      PAGE_360,
      {
        first: 5,
        ...WINDOW,
      },
    );
    expect(status).toBe(200);
    const nodes = body.data!.customers.edges.map((e) => e.node);
    expect(nodes).toHaveLength(5);
    for (const node of nodes) {
      expect(node.email).toBeTruthy();
      expect(node.orders).not.toBeNull();
      expect(node.bookings).not.toBeNull();
    }
    expect(nodes.filter((n) => n.invoices === null).length).toBeGreaterThan(0);
    const booksErrors = body.errors!.filter((e) => e.extensions?.source === books);
    expect(booksErrors.length).toBeGreaterThan(0);
    expect(booksErrors[0]!.extensions).toMatchObject({
      code: 'SOURCE_ERROR',
      sourceCode: 'UPSTREAM_ERROR',
      retryable: true,
    });
    expect(body.errors!.every((e) => e.extensions?.source === books)).toBe(true);
    expect(JSON.stringify(body.errors)).not.toMatch(/at .*\.ts/);
  });

  it('links a record lazily when it first appears, by email, and stores the link', async () => {
    const email = `lazy.${storeKind}@linking.test`;
    const created = await fetch(`${sandboxes.crm.url}/__sandbox/actions/create-contact`, {
      method: 'POST',
      body: JSON.stringify({ properties: { email, firstname: 'Lazy', lastname: 'Linking' } }),
    });
    expect(created.status).toBeLessThan(300);
    const stripe = await fetch(`${sandboxes.payments.url}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandboxes.payments.credentials.apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ email, name: 'Lazy Linking' }).toString(),
    });
    const stripeCustomer = (await stripe.json()) as { id: string };

    const { body } = await t.graphql<{ customers: { edges: Array<{ node: Record<string, any> }> } }>(
      `query($q: String!) { customers(search: $q, first: 5) { edges { node { id email orders { totalCount } links { system externalId } } } } }`,
      { q: email },
    );
    expect(body.errors).toBeUndefined();
    const node = body.data!.customers.edges.find((e) => e.node.email === email)?.node;
    expect(node).toBeDefined();
    expect(node!.orders.totalCount).toBe(0);
    const id = await customerId(email);
    const links = (await t.hub.links.linksFor('default', 'customer', [id])).get(id) ?? [];
    expect(links.map((l) => [l.system, l.origin]).sort()).toEqual([
      ['hubspot', 'lazy'],
      ['stripe', 'lazy'],
    ]);
    expect(links.find((l) => l.system === 'stripe')?.externalId).toBe(stripeCustomer.id);
  });

  it('rejects bad input with a clear error and a 4xx or a field error, never a 5xx', async () => {
    const badId = await t.graphql(`{ customer(id: "not-an-id") { id } }`);
    expect(badId.status).toBe(200);
    expect(badId.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(badId.body.errors?.[0]?.message).toMatch(/not a Switchboard id/);

    const wrongType = await t.graphql(`query($id: ID!) { customer(id: $id) { id } }`, {
      id: toGlobalId('Order', 'stripe:pi_1'),
    });
    expect(wrongType.body.errors?.[0]?.message).toMatch(/is the id of a Order, not a Customer/);

    const tooMany = await t.graphql(`{ customers(first: 5000) { totalCount } }`);
    expect(tooMany.body.errors?.[0]?.message).toBe('"first" must be between 1 and 1000, got 5000');

    const window = await t.graphql(
      `{ bookings(from: "2026-12-01T00:00:00Z", to: "2026-11-01T00:00:00Z") { totalCount } }`,
    );
    expect(window.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const badDate = await t.graphql(
      `{ bookings(from: "yesterday", to: "2026-11-01T00:00:00Z") { totalCount } }`,
    );
    expect(badDate.status).toBe(400);
    expect(badDate.body.errors?.[0]?.message).toMatch(/DateTime must be an ISO-8601/);

    const syntax = await t.graphql(`{ customers(first: 1) { edges { node { id }`);
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.message).toMatch(/Syntax Error/);

    const variables = await t.graphql(`query($n: Int!) { customers(first: $n) { totalCount } }`, {
      n: 'ten',
    });
    expect(variables.status).toBe(400);

    const unknownField = await t.graphql(`{ customers { nope } }`);
    expect(unknownField.status).toBe(400);

    const missing = await t.graphql(`query($id: ID!) { node(id: $id) { id } }`, {
      id: toGlobalId('Invoice', `${books}:${await unknownBooksId(books)}`),
    });
    expect(missing.status).toBe(200);
    expect(missing.body.data).toEqual({ node: null });

    const workspace = await t.graphql(`{ sources { system } }`, undefined, {
      'x-switchboard-workspace': 'nope',
    });
    // Refused without naming the workspaces that exist.
    expect(workspace.status).toBe(403);
    expect(workspace.body.errors?.[0]?.message).toMatch(
      /may not use the workspace named in x-switchboard-workspace/,
    );
    expect(JSON.stringify(workspace.body)).not.toMatch(/default/);
  });

  it('pages through customers, sync issues and invoices with pageInfo.endCursor', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    let totalCount = 0;
    do {
      const res: { body: { data?: any; errors?: unknown[] } } = await t.graphql(
        `query($after: String) { customers(first: 120, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(res.body.errors).toBeUndefined();
      const conn = res.body.data.customers;
      totalCount = conn.totalCount;
      for (const edge of conn.edges) seen.add(edge.node.id);
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(seen.size).toBe(totalCount);
    expect(pages).toBe(Math.ceil(totalCount / 120));

    const invoices: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data?: any; errors?: unknown[] } } = await t.graphql(
        `query($after: String) { invoices(first: 100, status: [PAID], after: $after) { edges { node { number status } } pageInfo { hasNextPage endCursor } } }`,
        { after: cursor },
      );
      expect(res.body.errors).toBeUndefined();
      invoices.push(...res.body.data.invoices.edges.map((e: any) => e.node.number));
      cursor = res.body.data.invoices.pageInfo.hasNextPage ? res.body.data.invoices.pageInfo.endCursor : null;
    } while (cursor);
    expect(invoices.sort()).toEqual(
      business.invoices
        // An invoice of a customer missing from the books was never raised there.
        .filter((i) => i.status === 'PAID' && booksIds.invoices.has(i.key))
        .map((i) => i.number)
        .sort(),
    );

    const stale = await t.graphql(`{ invoices(after: "bm9wZQ") { edges { node { id } } } }`);
    expect(stale.body.errors?.[0]?.message).toMatch(/"after" is not a cursor from this list/);
  });

  it('resolves nodes of every type by global id and reports each source', async () => {
    const order = business.orders[0]!;
    // The first invoice the bound books hold (QuickBooks has no drafts).
    const invoice = business.invoices.find((i) => booksIds.invoices.has(i.key))!;
    const booking = business.bookings[0]!;
    const { body } = await t.graphql<{
      nodes: Array<Record<string, any> | null>;
      sources: Array<Record<string, any>>;
    }>(
      `query($ids: [ID!]!) {
        nodes(ids: $ids) { id __typename ... on Order { amount { amount } } ... on Invoice { number } ... on Booking { title } }
        sources { system state baseUrl }
      }`,
      {
        ids: [
          toGlobalId('Order', `stripe:${order.ids.stripePaymentIntentId}`),
          toGlobalId('Invoice', `${books}:${booksIds.invoice(invoice.key)}`),
          toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`),
          'garbage',
        ],
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.nodes.map((n) => n?.__typename ?? null)).toEqual(['Order', 'Invoice', 'Booking', null]);
    expect(body.data!.nodes[0]!.amount.amount).toBe(order.amount);
    expect(body.data!.nodes[1]!.number).toBe(invoice.number);
    expect(body.data!.sources.map((s) => s.system).sort()).toEqual(
      sandboxes.all.map((s) => s.system.toUpperCase()).sort(),
    );
  });
});
