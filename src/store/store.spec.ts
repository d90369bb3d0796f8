import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createLinkRepository } from './links.ts';
import { createSyncIssueRepository } from './sync-issues.ts';
import { droppedElsewhere, openStore } from './store.ts';

const PAY = { role: 'payments', system: 'stripe' } as const;

describe.each(storeKinds)('store on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  it('migrates idempotently and answers a ping', async () => {
    await t.store.migrate();
    await t.store.ping();
    expect(t.store.dialect).toBe(kind);
  });

  it('links one customer per vendor record and refuses a second claim on either side', async () => {
    const links = createLinkRepository(t.store.db);
    const a = await links.createCustomer('ws1', { email: 'a@example.com', displayName: 'A' });
    const b = await links.createCustomer('ws1', { email: 'b@example.com', displayName: 'B' });
    expect(await links.link('ws1', 'customer', a.id, PAY, 'cus_1', 'backfill')).toBe('created');
    expect(await links.link('ws1', 'customer', a.id, PAY, 'cus_1', 'lazy')).toBe('exists');
    expect(await links.link('ws1', 'customer', b.id, PAY, 'cus_1', 'lazy')).toBe('conflict');
    expect(await links.link('ws1', 'customer', a.id, PAY, 'cus_2', 'lazy')).toBe('conflict');
    // Another workspace may hold the same vendor id for its own customer.
    const c = await links.createCustomer('ws2', { email: 'a@example.com', displayName: 'A' });
    expect(await links.link('ws2', 'customer', c.id, PAY, 'cus_1', 'backfill')).toBe('created');

    expect(await links.entitiesFor('ws1', 'customer', 'stripe', ['cus_1', 'cus_9'])).toEqual(
      new Map([['cus_1', a.id]]),
    );
    const byEntity = await links.linksFor('ws1', 'customer', [a.id, b.id]);
    expect(byEntity.get(a.id)).toEqual([
      { entityId: a.id, system: 'stripe', role: 'payments', externalId: 'cus_1', origin: 'backfill' },
    ]);
    expect(byEntity.get(b.id)).toBeUndefined();
    expect(
      (await links.findCustomersByEmail('ws2', ['a@example.com'])).get('a@example.com')?.map((r) => r.id),
    ).toEqual([c.id]);
  });

  it('pages customers in a stable order, per workspace', async () => {
    const links = createLinkRepository(t.store.db);
    for (let i = 0; i < 5; i++)
      await links.createCustomer('ws-page', { email: `p${i}@x.test`, displayName: null });
    const first = await links.listCustomers('ws-page', 3);
    const rest = await links.listCustomers('ws-page', 3, first.at(-1)?.id);
    expect(first).toHaveLength(3);
    expect(rest).toHaveLength(2);
    expect(new Set([...first, ...rest].map((c) => c.id)).size).toBe(5);
    expect(await links.countCustomers('ws-page')).toBe(5);
    expect(await links.countCustomers('nobody')).toBe(0);
  });

  it('raises a sync issue once, and again after it was resolved', async () => {
    const issues = createSyncIssueRepository(t.store.db);
    const input = {
      customerId: 'c1',
      kind: 'FIELD_MISMATCH' as const,
      field: 'phone',
      systems: ['xero' as const, 'hubspot' as const],
      details: { hubspot: '+44 7700 900001', xero: '+44 7700 900002' },
      message: 'phone differs',
    };
    const first = await issues.raise('ws1', input);
    const again = await issues.raise('ws1', { ...input, systems: ['hubspot', 'xero'] });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, issue: { id: first.issue.id } });
    expect(await issues.list('ws1', { customerIds: ['c1'] })).toHaveLength(1);
    expect(await issues.list('ws2')).toHaveLength(0);
    expect(await issues.resolve('ws1', first.issue.id)).toBe(true);
    expect(await issues.list('ws1', { customerIds: ['c1'] })).toHaveLength(0);
    const back = await issues.raise('ws1', input);
    expect(back.created).toBe(true);
    expect(await issues.list('ws1', { customerIds: ['c1'], includeResolved: true })).toHaveLength(2);
  });
});

describe('openStore', () => {
  it('says what is wrong with a bad address', async () => {
    await expect(openStore({ url: 'sqlite:' })).rejects.toThrow(/needs a file path/);
    await expect(openStore({ url: 'postgres://x@127.0.0.1:1/none', schema: 'Bad-Name' })).rejects.toThrow(
      /invalid PostgreSQL schema name/,
    );
  });
});

describe('a migration that met another schema being dropped', () => {
  it('is retried when the missing relation or schema is another one, not when it is its own', () => {
    const theirs = new Error('relation "sb_test_aa.links" does not exist');
    expect(droppedElsewhere(theirs, 'sb_test_mine')).toBe(true);
    expect(droppedElsewhere(new Error('schema "sb_test_aa" does not exist'), 'sb_test_mine')).toBe(true);
    expect(droppedElsewhere(new Error('schema "sb_test_mine" does not exist'), 'sb_test_mine')).toBe(false);
    expect(droppedElsewhere(new Error('relation "public.links" does not exist'), undefined)).toBe(false);
    expect(droppedElsewhere(new Error('syntax error at or near "x"'), 'sb_test_mine')).toBe(false);
  });
});
