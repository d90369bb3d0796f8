import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { priorityOf } from '../src/upstream/work.ts';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { nextDailyRun } from '../src/sync/schedule.ts';
import { waitFor } from '../harness/wait.ts';
import { dropTestSchema, POSTGRES_URL, storeKinds } from '../harness/stores.ts';
import {
  clearFaults,
  clearRequestLog,
  injectFault,
  requestEntries,
  sandboxAction,
} from '../harness/sandbox-admin.ts';

// Reconciliation over real sockets: a phone changed in the payment provider without a webhook (its
// deliveries held back) is found by a `reconcile` run and closed by the next once it is put back.
// The sandboxes keep the vendors' real rate limits, so a run that overran a budget would meet 429s.
const seed = { customers: 60 };
const business = generateBusiness(seed);
describe.each(storeKinds)('reconciliation on %s', (kind) => {
  let app: RunningSwitchboard;
  let sandboxes: Sandboxes;

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.developmentKey}` },
      body: JSON.stringify({ query, variables }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { data?: any; errors?: any[] };
  };

  const RUN = `id state startedAt finishedAt customersChecked issuesRaised issuesClosed errors lastError`;

  /** Starts a run and waits until it is the last finished one. */
  async function reconcile() {
    const started = await gql(`mutation { reconcile { ${RUN} } }`);
    expect(started.errors).toBeUndefined();
    const run = started.data.reconcile;
    expect(run.state).toBe('RUNNING');
    return waitFor(
      async () => {
        const { data } = await gql(`{ reconciliation { lastRun { ${RUN} } running { id } } }`);
        return data.reconciliation.lastRun?.id === run.id ? data.reconciliation.lastRun : undefined;
      },
      () => `run ${run.id} to finish`,
      60_000,
      100,
    );
  }

  const phoneIssues = async (email: string) => {
    const { data } = await gql(
      `{ syncIssues(kinds: [FIELD_MISMATCH], includeResolved: true, first: 500) {
        edges { node { id field systems resolvedAt values { system value } customer { email } } } } }`,
    );
    return (data.syncIssues.edges as any[])
      .map((e) => e.node)
      .filter((n) => n.field === 'phone' && n.customer?.email === email);
  };

  const hold = (on: boolean) =>
    sandboxAction(`${sandboxes.payments.url}/__sandbox/webhooks/settings`, { outOfOrder: on });

  const schema = `sb_reconcile_${randomBytes(5).toString('hex')}`;
  beforeAll(async () => {
    app = await startSwitchboard(
      loadConfig({
        PORT: '0',
        DATABASE_URL: kind === 'sqlite' ? ':memory:' : POSTGRES_URL,
        LOG_LEVEL: 'silent',
      }),
      {
        sandboxOptions: { seed, webhooks: { retryBaseMs: 50 } },
        databaseSchema: kind === 'postgres' ? schema : undefined,
      },
    );
    sandboxes = app.sandboxes as Sandboxes;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (kind === 'postgres') await dropTestSchema(schema);
  });

  // A customer held alike in all three systems, with a phone.
  const customer = business.customers.find(
    (c) =>
      c.mess.length === 0 &&
      c.phone &&
      c.lifecycleStage === 'customer' &&
      customerAt(c, 'hubspot') &&
      customerAt(c, 'stripe') &&
      customerAt(c, 'xero'),
  )!;

  it('is for operators: a key without the operator scope starts nothing and sees nothing', async () => {
    const { text } = await app.security.keys.create({
      workspace: 'default',
      kind: 'secret',
      mode: 'test',
      name: 'no operator',
      scopes: ['customers:read', 'customers:pii'],
    });
    for (const query of [`mutation { reconcile { id } }`, `{ reconciliation { nextRunAt } }`]) {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${text}` },
        body: JSON.stringify({ query }),
      });
      expect(res.status).toBeLessThan(500);
      const body = (await res.json()) as {
        data?: unknown;
        errors?: Array<{ extensions?: { code?: string } }>;
      };
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('says when it runs next, and nothing has run yet', async () => {
    const { data } = await gql(`{ reconciliation { lastRun { id } running { id } nextRunAt } }`);
    expect(data.reconciliation.lastRun).toBeNull();
    expect(data.reconciliation.running).toBeNull();
    const expected = nextDailyRun({ hour: 2, minute: 0 }, new Date());
    // The schedule was planned at start-up: the same 02:00 UTC unless the test crossed it.
    expect([expected.getTime(), expected.getTime() - 86_400_000]).toContain(
      new Date(data.reconciliation.nextRunAt).getTime(),
    );
  });

  it('raises a phone changed silently in the payment provider, within the vendors budgets, and closes it once put back', async () => {
    expect(customer).toBeDefined();
    expect(await phoneIssues(customer.email)).toEqual([]);
    await hold(true);
    const original = customerAt(customer, 'stripe')!.phone!;
    await sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
      customer: customer.ids.stripeCustomerId,
      phone: '+44 7700 900999',
    });
    await clearRequestLog(...sandboxes.all.map((s) => s.url));
    // Watched on their way to the real ports: the priority each batch read is made at, as the rate
    // budgets see it (src/upstream/work.ts).
    const { sources } = app.hub.defaultWorkspace;
    const spies = [
      vi.spyOn(sources.crm, 'getContacts'),
      vi.spyOn(sources.payments, 'getCustomers'),
      vi.spyOn(sources.accounting, 'getContacts'),
    ];

    const first = await reconcile();
    expect(first).toMatchObject({ state: 'COMPLETED', errors: 0, lastError: null });
    expect(first.customersChecked).toBeGreaterThan(0);
    expect(first.issuesRaised).toBeGreaterThanOrEqual(1);
    // Read before this test's queries read anything: within every vendor's limits (the sandboxes
    // enforce them with 429s), and batched where the vendor can: one HubSpot batch read for the 60
    // customers, the accounting package's contacts by id 50 or more at a time, and a lookup by email
    // for those it has no link to. (Stripe has no batch read: one retrieve each.)
    const logs = await Promise.all(sandboxes.all.map((s) => requestEntries(s.url)));
    const all = logs.flat();
    expect(all.filter((e) => e.status === 429)).toEqual([]);
    const crmOps = logs[sandboxes.all.indexOf(sandboxes.crm)]!.map((e) => e.operation);
    expect(crmOps.filter((op) => op === 'contacts.batchRead')).toHaveLength(1);
    const books = logs[sandboxes.all.indexOf(sandboxes.accounting)]!;
    expect(books.length).toBeGreaterThan(0);
    expect(books.length).toBeLessThanOrEqual(Math.ceil(seed.customers / 50) + 1);

    const priorities = spies.flatMap((spy) =>
      spy.mock.calls.map(([, options]) => priorityOf(options?.signal)),
    );
    spies.forEach((spy) => spy.mockRestore());
    expect(priorities.length).toBeGreaterThanOrEqual(3);
    expect(new Set(priorities)).toEqual(new Set(['background']));

    const raised = await phoneIssues(customer.email);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ resolvedAt: null, systems: expect.arrayContaining(['STRIPE']) });
    expect(raised[0].values).toContainEqual({ system: 'STRIPE', value: '+44 7700 900999' });

    await sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
      customer: customer.ids.stripeCustomerId,
      phone: original,
    });
    const second = await reconcile();
    expect(second).toMatchObject({ state: 'COMPLETED', errors: 0 });
    expect(second.issuesClosed).toBeGreaterThanOrEqual(1);
    const closed = await phoneIssues(customer.email);
    expect(closed).toHaveLength(1);
    expect(closed[0].resolvedAt).not.toBeNull();
    // The hub never heard of either change but from reconciliation.
    await hold(false);
  });

  it('never runs two at once: asking again while one runs returns that one', async () => {
    const [a, b] = await Promise.all([
      gql(`mutation { reconcile { id state } }`),
      gql(`mutation { reconcile { id state } }`),
    ]);
    expect(a.data.reconcile.id).toBe(b.data.reconcile.id);
    await app.hub.reconciler.idle('default');
    const { data } = await gql(`{ reconciliation { lastRun { id state } running { id } } }`);
    expect(data.reconciliation).toMatchObject({
      lastRun: { id: a.data.reconcile.id, state: 'COMPLETED' },
      running: null,
    });
  });

  it('a vendor failing during a run: the run completes, counts the customers it could not check and keeps the error', async () => {
    await injectFault(sandboxes.accounting.url, { status: 400, share: 1 });
    try {
      const run = await reconcile();
      expect(run.state).toBe('COMPLETED');
      expect(run.errors).toBeGreaterThan(0);
      expect(run.lastError).toContain(sandboxes.accounting.system);
      // Nothing was closed for customers it could not see.
      expect(run.issuesClosed).toBe(0);
    } finally {
      await clearFaults(sandboxes.accounting.url);
    }
  });
});
