import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { clearRequestLog, requestLog } from '../harness/sandbox-admin.ts';

// Two businesses on one hub, each with its own vendor accounts (sandboxes seeded differently).
let first: Sandboxes;
let second: Sandboxes;
let t: TestHub;
const now = new Date('2026-11-23T00:00:00Z');

beforeAll(async () => {
  [first, second] = await Promise.all([
    startSandboxes({ seed: { now, seed: 42 }, relaxed: true }),
    startSandboxes({ seed: { now, seed: 7 }, relaxed: true }),
  ]);
  t = await startTestHub({
    store: 'sqlite',
    workspaces: [
      { id: 'harbour-lane', sandboxes: first },
      { id: 'second-studio', sandboxes: second },
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await Promise.all([first?.close(), second?.close()]);
});

const PAGE = `{ customers(first: 20) { totalCount edges { node { id email orders { totalCount } invoices { totalCount } } } } }`;
const total = async (s: Sandboxes) =>
  (await Promise.all(s.all.map((x) => requestLog(x.url)))).reduce((n, r) => n + r.total, 0);

describe('workspaces', () => {
  it('keep their customers, links and cached vendor data apart', async () => {
    const a = await t.graphql<any>(PAGE, undefined, { 'x-switchboard-workspace': 'harbour-lane' });
    expect(a.body.errors).toBeUndefined();
    await clearRequestLog(...first.all.map((s) => s.url), ...second.all.map((s) => s.url));

    // Warm in the first workspace; the second must still go to its own vendors, not the first's cache.
    const b = await t.graphql<any>(PAGE, undefined, { 'x-switchboard-workspace': 'second-studio' });
    expect(b.body.errors).toBeUndefined();
    expect(await total(first)).toBe(0);
    expect(await total(second)).toBeGreaterThan(0);

    const emails = (r: any) => r.body.data.customers.edges.map((e: any) => e.node.email);
    expect(emails(a)).not.toEqual(emails(b));
    const ids = (r: any) => new Set(r.body.data.customers.edges.map((e: any) => e.node.id));
    const shared = [...ids(a)].filter((id) => ids(b).has(id));
    expect(shared).toEqual([]);

    // A customer id of one workspace is unknown in the other.
    const foreign = a.body.data.customers.edges[0].node.id;
    const cross = await t.graphql<any>(
      `query($id: ID!) { customer(id: $id) { id } }`,
      { id: foreign },
      {
        'x-switchboard-workspace': 'second-studio',
      },
    );
    expect(cross.body.data.customer).toBeNull();

    // Warm again in both: no vendor is asked.
    await clearRequestLog(...first.all.map((s) => s.url), ...second.all.map((s) => s.url));
    await t.graphql(PAGE, undefined, { 'x-switchboard-workspace': 'harbour-lane' });
    await t.graphql(PAGE, undefined, { 'x-switchboard-workspace': 'second-studio' });
    expect((await total(first)) + (await total(second))).toBe(0);
  });

  it('default to the first workspace without the header', async () => {
    const plain = await t.graphql<any>(`{ customers(first: 1) { totalCount } }`);
    const named = await t.graphql<any>(`{ customers(first: 1) { totalCount } }`, undefined, {
      'x-switchboard-workspace': 'harbour-lane',
    });
    expect(plain.body.data).toEqual(named.body.data);
  });
});
