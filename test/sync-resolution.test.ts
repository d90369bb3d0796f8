import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { backfillLinks } from '../src/links/backfill.ts';
import { fromGlobalId, toGlobalId } from '../src/graph/ids.ts';
import { normalisePhone } from '../src/domain/model.ts';
import { storeKinds } from '../harness/stores.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { vendorApis } from './support/vendors.ts';
import { countingVendorCalls } from './support/security.ts';
import { createSyncIssueResolutions } from '../src/sync/resolutions.ts';

const now = new Date('2026-11-23T00:00:00Z');

const ISSUE = `id kind field systems values { system value } resolvedAt
  resolution { kind winner reason by at operationId }`;
const OPERATION = `id kind state error steps { name system state attempts }`;
const RESOLVE = `mutation($id: ID!, $winner: SourceSystem!) {
  resolveSyncIssue(id: $id, winner: $winner) { syncIssue { ${ISSUE} } operation { ${OPERATION} } } }`;
const DISMISS = `mutation($id: ID!, $reason: String!) { dismissSyncIssue(id: $id, reason: $reason) { ${ISSUE} } }`;

describe.each(storeKinds)('settling sync issues over the sandboxes on %s', (storeKind) => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  let vendors: ReturnType<typeof vendorApis>;
  const ws = 'default';
  let urls: string[];
  let books: string;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({
      store: storeKind,
      workspaces: [{ id: ws, sandboxes }],
      engine: { retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 4, fastPathMs: 5_000 },
    });
    vendors = vendorApis(sandboxes);
    urls = sandboxes.all.map((s) => s.url);
    books = sandboxes.accounting.system.toUpperCase();
  });
  afterAll(async () => {
    await t?.close();
    await sandboxes?.close();
  });

  /** A customer in all three people systems, with `phone` everywhere; their records by system. */
  async function customerEverywhere(label: string, phone: string) {
    const email = `${label}.${storeKind}.${randomUUID().slice(0, 8)}@resolve.test`;
    const { body } = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
         operation { state } customer { id links { system externalId } } } }`,
      { input: { firstName: 'Iris', lastName: `Quarry${randomUUID().slice(0, 6)}`, email, phone } },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.createCustomer.operation.state).toBe('COMPLETED');
    const { id, links } = body.data.createCustomer.customer;
    const record = (system: string) => links.find((l: any) => l.system === system).externalId as string;
    return { email, id: id as string, stripe: record('STRIPE'), books: record(books) };
  }

  /** Changes the phone in Stripe behind the hub's back, as someone in the Stripe dashboard would. */
  const phoneInStripe = (customerId: string, phone: string) => changeInStripe(customerId, { phone });

  async function stripeCustomer(customerId: string) {
    const res = await fetch(`${sandboxes.payments.url}/v1/customers/${customerId}`, {
      headers: { authorization: `Bearer ${sandboxes.payments.credentials.apiKey}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { email: string; name: string; phone: string };
  }

  async function changeInStripe(customerId: string, fields: Record<string, string>) {
    // https://docs.stripe.com/api/customers/update
    const res = await fetch(`${sandboxes.payments.url}/v1/customers/${customerId}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandboxes.payments.credentials.apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(200);
  }

  /** The hub's open issues of a customer, as the console lists them, after the hub looked again. */
  async function issuesOf(customerId: string, kind = 'FIELD_MISMATCH') {
    await backfillLinks(t.hub, t.hub.defaultWorkspace);
    const { body } = await t.graphql<any>(
      `{ syncIssues(first: 500, kinds: [${kind}]) { edges { node { ${ISSUE} customer { id } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    return body.data.syncIssues.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.customer?.id === customerId);
  }

  async function phoneMismatch(label: string) {
    const customer = await customerEverywhere(label, '+44 7700 900111');
    await phoneInStripe(customer.stripe, '+44 7700 900222');
    const [issue, ...others] = await issuesOf(customer.id);
    expect(others).toEqual([]);
    expect(issue).toMatchObject({
      kind: 'FIELD_MISMATCH',
      field: 'phone',
      resolvedAt: null,
      resolution: null,
    });
    expect([...issue.systems].sort()).toEqual(['HUBSPOT', 'STRIPE', books].sort());
    return { ...customer, issue };
  }

  /** The phone each system holds now: HubSpot and Stripe over their own APIs, the books through the hub's adapter. */
  async function phones(c: { email: string; books: string }) {
    const [booksRecord] = await t.hub.defaultWorkspace.sources.accounting.getContacts([c.books]);
    if (!booksRecord || booksRecord instanceof Error) throw booksRecord ?? new Error('no books contact');
    return {
      hubspot: normalisePhone((await vendors.hubspotContact(c.email)).body.properties.phone),
      stripe: normalisePhone((await vendors.stripeCustomersByEmail(c.email))[0].phone),
      books: normalisePhone(booksRecord.phone),
    };
  }

  async function settled(operationId: string) {
    for (let i = 0; i < 100; i++) {
      const { body } = await t.graphql<any>(`query($id: ID!) { operation(id: $id) { ${OPERATION} } }`, {
        id: operationId,
      });
      const op = body.data.operation;
      if (op.state !== 'PENDING' && op.state !== 'COMPENSATING') return op;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`operation ${operationId} did not settle`);
  }

  it("resolves a FIELD_MISMATCH: the winner's phone lands in every system, once, and a repeat is refused without a write", async () => {
    const c = await phoneMismatch('winner');
    expect(await phones(c)).toEqual({
      hubspot: '+447700900111',
      stripe: '+447700900222',
      books: '+447700900111',
    });

    const { body } = await t.graphql<any>(RESOLVE, { id: c.issue.id, winner: 'STRIPE' });
    expect(body.errors).toBeUndefined();
    const { syncIssue, operation } = body.data.resolveSyncIssue;
    expect(operation.kind).toBe('resolveSyncIssue');
    expect(operation.steps.map((s: any) => [s.name, s.system])).toEqual([
      ['crm.updateContact', 'HUBSPOT'],
      ['accounting.updateContact', books],
    ]);
    expect(syncIssue.resolvedAt).toEqual(expect.any(String));
    expect(syncIssue.resolution).toMatchObject({
      kind: 'RESOLVED',
      winner: 'STRIPE',
      reason: null,
      by: expect.stringMatching(/\S/),
      at: syncIssue.resolvedAt,
      operationId: operation.id,
    });
    const done = await settled(operation.id);
    expect(done.state).toBe('COMPLETED');
    expect(done.steps.map((s: any) => [s.state, s.attempts])).toEqual([
      ['SUCCEEDED', 1],
      ['SUCCEEDED', 1],
    ]);
    expect(await phones(c)).toEqual({
      hubspot: '+447700900222',
      stripe: '+447700900222',
      books: '+447700900222',
    });

    // The same choice again, or another: refused, naming who and when, and no vendor is called.
    for (const winner of ['STRIPE', 'HUBSPOT']) {
      const { result, calls } = await countingVendorCalls(urls, () =>
        t.graphql<any>(RESOLVE, { id: c.issue.id, winner }),
      );
      expect(result.body.data).toBeNull();
      expect(result.body.errors?.[0]?.extensions).toMatchObject({
        code: 'SYNC_ISSUE_ALREADY_RESOLVED',
        resolvedAt: syncIssue.resolvedAt,
        resolvedBy: syncIssue.resolution.by,
        resolution: 'RESOLVED',
      });
      expect(result.body.errors?.[0]?.message).toContain(syncIssue.resolution.by);
      expect(calls).toBe(0);
    }
    const writes = await t.graphql<any>(`{ operations(first: 500) { edges { node { id kind state } } } }`);
    expect(writes.body.errors).toBeUndefined();
    const resolutions = writes.body.data.operations.edges.filter(
      (e: any) => e.node.kind === 'resolveSyncIssue' && e.node.id === operation.id,
    );
    expect(resolutions).toHaveLength(1);
    expect(
      await t.hub.engine.store.findByClientKey(ws, `sync-issue:${fromGlobalId(c.issue.id)!.localId}:stripe`),
    ).toMatchObject({ id: fromGlobalId(operation.id)!.localId });

    // The audit log says who resolved it, and that the repeats failed.
    const audit = await t.graphql<any>(
      `{ auditLog(action: "resolveSyncIssue", first: 50) { edges { node { actor target outcome } } } }`,
    );
    const entries = audit.body.data.auditLog.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.target === c.issue.id);
    expect(entries.map((n: any) => n.outcome).sort()).toEqual(['FAILED', 'FAILED', 'SUCCEEDED']);
    for (const entry of entries) expect(entry.actor).toBe(syncIssue.resolution.by);
  });

  it('lets one of two concurrent resolutions with different winners win, and writes only that one', async () => {
    const c = await phoneMismatch('race');
    const before = await t.hub.engine.store.list(ws, { first: 500 });
    const results = await Promise.all(
      ['HUBSPOT', 'STRIPE'].map((winner) => t.graphql<any>(RESOLVE, { id: c.issue.id, winner })),
    );
    const won = results.filter((r) => !r.body.errors);
    const lost = results.filter((r) => r.body.errors);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.body.errors![0]!.extensions!.code).toBe('SYNC_ISSUE_ALREADY_RESOLVED');
    const after = await t.hub.engine.store.list(ws, { first: 500 });
    expect(after.length - before.length).toBe(1);
    const { winner } = won[0]!.body.data.resolveSyncIssue.syncIssue.resolution;
    await settled(won[0]!.body.data.resolveSyncIssue.operation.id);
    const value = winner === 'STRIPE' ? '+447700900222' : '+447700900111';
    expect(await phones(c)).toEqual({ hubspot: value, stripe: value, books: value });
  });

  it('stores no operation when the issue was closed between its read and the write (the transaction rolls back)', async () => {
    const c = await phoneMismatch('stale');
    const localId = fromGlobalId(c.issue.id)!.localId;
    const open = (await t.hub.issues.get(ws, localId))!;
    const dismissed = await t.graphql<any>(DISMISS, { id: c.issue.id, reason: 'closed meanwhile' });
    expect(dismissed.body.errors).toBeUndefined();
    // A resolution that read the issue while it was still open, as a concurrent request would have.
    const stale = createSyncIssueResolutions({
      issues: { ...t.hub.issues, get: async (w, id) => (id === localId ? open : t.hub.issues.get(w, id)) },
      identity: t.hub.identity,
      engine: t.hub.engine,
    });
    const before = await t.hub.engine.store.list(ws, { first: 500 });
    await expect(stale.resolve(t.hub.defaultWorkspace, localId, 'stripe', 'key_late')).rejects.toMatchObject({
      code: 'SYNC_ISSUE_ALREADY_RESOLVED',
      details: { resolution: 'DISMISSED' },
    });
    expect(await t.hub.engine.store.list(ws, { first: 500 })).toHaveLength(before.length);
    expect(await t.hub.engine.store.findByClientKey(ws, `sync-issue:${localId}:stripe`)).toBeNull();
    expect((await t.hub.issues.get(ws, localId))!.resolution).toMatchObject({
      kind: 'DISMISSED',
      by: expect.any(String),
    });
    expect(await phones(c)).toEqual({
      hubspot: '+447700900111',
      stripe: '+447700900222',
      books: '+447700900111',
    });
  });

  it('closes the issue without a write when the systems agree again by the time it is resolved', async () => {
    const c = await phoneMismatch('agreed');
    await phoneInStripe(c.stripe, '07700 900111');
    const before = await t.hub.engine.store.list(ws, { first: 500 });
    const { body } = await t.graphql<any>(RESOLVE, { id: c.issue.id, winner: 'HUBSPOT' });
    expect(body.errors).toBeUndefined();
    expect(body.data.resolveSyncIssue.operation).toBeNull();
    expect(body.data.resolveSyncIssue.syncIssue.resolution).toMatchObject({
      kind: 'RESOLVED',
      winner: 'HUBSPOT',
      operationId: null,
    });
    expect(await t.hub.engine.store.list(ws, { first: 500 })).toHaveLength(before.length);
    expect((await stripeCustomer(c.stripe)).phone).toBe('07700 900111');
  });

  it("resolves an EMAIL_FORMAT_MISMATCH and a name FIELD_MISMATCH with the winner's exact value", async () => {
    const c = await customerEverywhere('format', '+44 7700 900333');
    const shouted = c.email.replace(/^[^@]+/, (local) => local.toUpperCase());
    await changeInStripe(c.stripe, { email: shouted, name: 'Iris Quarrington Vale' });
    const [format] = await issuesOf(c.id, 'EMAIL_FORMAT_MISMATCH');
    const [name] = await issuesOf(c.id, 'FIELD_MISMATCH');
    expect(format).toMatchObject({ kind: 'EMAIL_FORMAT_MISMATCH', field: 'email' });
    expect(name).toMatchObject({ kind: 'FIELD_MISMATCH', field: 'name' });

    const email = await t.graphql<any>(RESOLVE, { id: format.id, winner: 'HUBSPOT' });
    expect(email.body.errors).toBeUndefined();
    expect((await settled(email.body.data.resolveSyncIssue.operation.id)).state).toBe('COMPLETED');
    expect((await stripeCustomer(c.stripe)).email).toBe(c.email);

    const named = await t.graphql<any>(RESOLVE, { id: name.id, winner: 'STRIPE' });
    expect(named.body.errors).toBeUndefined();
    expect((await settled(named.body.data.resolveSyncIssue.operation.id)).state).toBe('COMPLETED');
    expect((await vendors.hubspotContact(c.email)).body.properties).toMatchObject({
      firstname: 'Iris Quarrington',
      lastname: 'Vale',
    });
    expect((await vendors.accountingContact(c.books))!.name).toBe('Iris Quarrington Vale');
    // The hub's own row follows the chosen name.
    const customer = await t.graphql<any>(`query($id: ID!) { customer(id: $id) { displayName } }`, {
      id: c.id,
    });
    expect(customer.body.data.customer.displayName).toBe('Iris Quarrington Vale');
  });

  it('dismisses an issue with a trimmed reason and who, writes nothing, and refuses a later resolution', async () => {
    const c = await phoneMismatch('dismiss');
    const { result, calls } = await countingVendorCalls(urls, () =>
      t.graphql<any>(DISMISS, { id: c.issue.id, reason: '  Both numbers are hers: work and home.  ' }),
    );
    expect(result.body.errors).toBeUndefined();
    expect(calls).toBe(0);
    const issue = result.body.data.dismissSyncIssue;
    expect(issue.resolution).toMatchObject({
      kind: 'DISMISSED',
      winner: null,
      reason: 'Both numbers are hers: work and home.',
      by: expect.stringMatching(/\S/),
      operationId: null,
    });
    expect(issue.resolvedAt).toEqual(issue.resolution.at);
    expect(await phones(c)).toEqual({
      hubspot: '+447700900111',
      stripe: '+447700900222',
      books: '+447700900111',
    });

    for (const [query, variables] of [
      [DISMISS, { id: c.issue.id, reason: 'again' }],
      [RESOLVE, { id: c.issue.id, winner: 'STRIPE' }],
    ] as const) {
      const again = await t.graphql<any>(query, variables);
      expect(again.body.errors?.[0]?.extensions).toMatchObject({
        code: 'SYNC_ISSUE_ALREADY_RESOLVED',
        resolution: 'DISMISSED',
      });
      expect(again.body.errors?.[0]?.message).toMatch(/already dismissed at .* by /);
    }
    // Closed issues leave the open list, and the resolved list shows how they were closed.
    const open = await t.graphql<any>(`{ syncIssues(first: 500) { edges { node { id } } } }`);
    expect(open.body.data.syncIssues.edges.map((e: any) => e.node.id)).not.toContain(c.issue.id);
    const node = await t.graphql<any>(
      `query($id: ID!) { node(id: $id) { ... on SyncIssue { resolution { kind reason } } } }`,
      {
        id: c.issue.id,
      },
    );
    expect(node.body.data.node.resolution).toEqual({
      kind: 'DISMISSED',
      reason: 'Both numbers are hers: work and home.',
    });
  });

  it('refuses bad input with errors that say what to fix, and changes nothing', async () => {
    const c = await phoneMismatch('bad');
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
      [
        RESOLVE,
        { id: c.issue.id, winner: 'GOOGLE_CALENDAR' },
        { code: 'BAD_USER_INPUT', argument: 'winner' },
        /one of the issue's systems/,
      ],
      [
        RESOLVE,
        { id: toGlobalId('SyncIssue', randomUUID()), winner: 'STRIPE' },
        { code: 'NOT_FOUND' },
        /No sync issue/,
      ],
      [
        RESOLVE,
        { id: c.id, winner: 'STRIPE' },
        { code: 'BAD_USER_INPUT', argument: 'id' },
        /not a SyncIssue/,
      ],
      [
        RESOLVE,
        { id: 'nonsense', winner: 'STRIPE' },
        { code: 'BAD_USER_INPUT', argument: 'id' },
        /not a Switchboard id/,
      ],
      [
        DISMISS,
        { id: c.issue.id, reason: '   ' },
        { code: 'BAD_USER_INPUT', argument: 'reason' },
        /1 to 500/,
      ],
      [
        DISMISS,
        { id: c.issue.id, reason: 'x'.repeat(501) },
        { code: 'BAD_USER_INPUT', argument: 'reason' },
        /1 to 500/,
      ],
      [
        DISMISS,
        { id: toGlobalId('SyncIssue', randomUUID()), reason: 'gone' },
        { code: 'NOT_FOUND' },
        /No sync issue/,
      ],
    ];
    for (const [query, variables, extensions, message] of cases) {
      const { status, body } = await t.graphql<any>(query, variables);
      expect(status, JSON.stringify(variables)).toBe(200);
      expect(body.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject(extensions);
      expect(body.errors?.[0]?.message).toMatch(message);
    }
    expect((await t.hub.issues.get(ws, fromGlobalId(c.issue.id)!.localId))!.resolvedAt).toBeNull();

    // A kind with no value to choose: dismiss it or fix it in the vendor.
    const missing = await t.graphql<any>(
      `{ syncIssues(first: 1, kinds: [MISSING_IN_SYSTEM]) { edges { node { id systems } } } }`,
    );
    const other = missing.body.data.syncIssues.edges[0].node;
    const refused = await t.graphql<any>(RESOLVE, { id: other.id, winner: other.systems[0] });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect(refused.body.errors?.[0]?.message).toMatch(/MISSING_IN_SYSTEM .*dismiss it/);

    for (const first of [0, 501]) {
      const { body } = await t.graphql<any>(
        `query($first: Int) { operations(first: $first) { edges { cursor } } }`,
        { first },
      );
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
    const badCursor = await t.graphql<any>(`{ operations(after: "bm9wZQ") { edges { cursor } } }`);
    expect(badCursor.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'after',
    });

    // Without the operator scope, neither mutation runs.
    const made = await t.graphql<any>(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
      { input: { name: 'reader', scopes: ['CUSTOMERS_READ', 'CUSTOMERS_WRITE'] } },
    );
    const reader = { authorization: `Bearer ${made.body.data.createApiKey.secret}` };
    for (const [query, variables] of [
      [RESOLVE, { id: c.issue.id, winner: 'STRIPE' }],
      [DISMISS, { id: c.issue.id, reason: 'not mine to say' }],
    ] as const) {
      const { body } = await t.graphql<any>(query, variables, reader);
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect((await t.hub.issues.get(ws, fromGlobalId(c.issue.id)!.localId))!.resolvedAt).toBeNull();
    // How an issue was closed is for every reader of issues; who closed it, and why, for operators.
    await t.graphql<any>(DISMISS, { id: c.issue.id, reason: 'tested' });
    const list = (fields: string) =>
      t.graphql<any>(
        `{ syncIssues(first: 500, includeResolved: true) { edges { node { id resolution { ${fields} } } } } }`,
        {},
        reader,
      );
    const kinds = await list('kind winner at operationId');
    expect(kinds.body.errors).toBeUndefined();
    const mine = kinds.body.data.syncIssues.edges.find((e: any) => e.node.id === c.issue.id);
    expect(mine.node.resolution).toMatchObject({ kind: 'DISMISSED', winner: null, operationId: null });
    for (const fields of ['by', 'reason']) {
      const { body } = await list(fields);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: expect.anything(),
      });
    }
  });

  it('lists operations newest first, by state, a page at a time', async () => {
    const all = await t.graphql<any>(
      `{ operations(first: 500) { edges { cursor node { id kind state createdAt steps { name state attempts } } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(all.body.errors).toBeUndefined();
    const nodes = all.body.data.operations.edges.map((e: any) => e.node);
    expect(nodes.length).toBeGreaterThan(3);
    const times = nodes.map((n: any) => Date.parse(n.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const page1 = await t.graphql<any>(
      `{ operations(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
    );
    const { endCursor, hasNextPage } = page1.body.data.operations.pageInfo;
    expect(hasNextPage).toBe(true);
    const page2 = await t.graphql<any>(
      `query($after: String) { operations(first: 2, after: $after) { edges { node { id } } } }`,
      { after: endCursor },
    );
    expect(
      [...page1.body.data.operations.edges, ...page2.body.data.operations.edges].map((e: any) => e.node.id),
    ).toEqual(nodes.slice(0, 4).map((n: any) => n.id));

    const completed = await t.graphql<any>(
      `{ operations(first: 500, states: [COMPLETED]) { edges { node { state } } } }`,
    );
    const states = completed.body.data.operations.edges.map((e: any) => e.node.state);
    expect(states.length).toBe(nodes.filter((n: any) => n.state === 'COMPLETED').length);
    expect(new Set(states)).toEqual(new Set(['COMPLETED']));
  });
});
