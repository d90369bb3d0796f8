import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.ts';
import { openTestStore, POSTGRES_URL, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createOperationStore } from './store.ts';

const newOp = (clientKey: string | null = null) => ({
  id: randomUUID(),
  kind: 'createCustomer',
  input: { n: 1 },
  inputHash: 'h',
  clientKey,
  context: {},
  steps: [
    { name: 'hubspot.upsertContact', system: 'hubspot' as const },
    { name: 'stripe.createCustomer', system: 'stripe' as const },
  ],
});

describe.each(storeKinds)('the outbox store on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  it('stores an operation with its steps, each with its own idempotency key, and one per client key', async () => {
    const ops = createOperationStore(t.store.db, t.store.dialect);
    const first = await ops.create('ws', newOp('client-1'));
    expect(first.created).toBe(true);
    expect(first.operation.state).toBe('PENDING');
    expect(first.operation.steps.map((s) => [s.position, s.name, s.state, s.attempts])).toEqual([
      [0, 'hubspot.upsertContact', 'PENDING', 0],
      [1, 'stripe.createCustomer', 'PENDING', 0],
    ]);
    expect(new Set(first.operation.steps.map((s) => s.idempotencyKey)).size).toBe(2);
    const again = await ops.create('ws', newOp('client-1'));
    expect(again).toMatchObject({ created: false, operation: { id: first.operation.id } });
    expect((await ops.create('other-ws', newOp('client-1'))).created).toBe(true);
  });

  it('leases an operation to one worker at a time, and to another once the lease runs out', async () => {
    const ops = createOperationStore(t.store.db, t.store.dialect);
    const { operation } = await ops.create('ws', newOp());
    expect(await ops.claim('ws', operation.id, 'a', 60_000)).toBe(true);
    expect(await ops.claim('ws', operation.id, 'b', 60_000)).toBe(false);
    await ops.release('ws', operation.id, 'a');
    expect(await ops.claim('ws', operation.id, 'b', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(await ops.claim('ws', operation.id, 'c', 60_000)).toBe(true);
  });

  it("lists a workspace's operations newest first with their steps, by state, a page at a time", async () => {
    const ops = createOperationStore(t.store.db, t.store.dialect);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { operation } = await ops.create('ws-list', newOp());
      ids.push(operation.id);
      // Distinct creation times, so the expected order does not rest on the ids' tie-break.
      await new Promise((r) => setTimeout(r, 3));
    }
    await ops.create('ws-other', newOp());
    await ops.updateOperation('ws-list', ids[1]!, { state: 'COMPLETED' });
    await ops.updateOperation('ws-list', ids[3]!, { state: 'DELIVERY_FAILED' });

    const all = await ops.list('ws-list', { first: 10 });
    expect(all.map((o) => o.id)).toEqual([...ids].reverse());
    expect(all[0]!.steps.map((s) => s.name)).toEqual(['hubspot.upsertContact', 'stripe.createCustomer']);

    const page1 = await ops.list('ws-list', { first: 2 });
    const last = page1.at(-1)!;
    const page2 = await ops.list('ws-list', {
      first: 2,
      after: { createdAt: last.createdAt.toISOString(), id: last.id },
    });
    expect([...page1, ...page2].map((o) => o.id)).toEqual([ids[4], ids[3], ids[2], ids[1]]);

    const done = await ops.list('ws-list', { first: 10, states: ['COMPLETED', 'DELIVERY_FAILED'] });
    expect(done.map((o) => [o.id, o.state])).toEqual([
      [ids[3], 'DELIVERY_FAILED'],
      [ids[1], 'COMPLETED'],
    ]);
    expect(await ops.list('ws-none', { first: 10 })).toEqual([]);
  });
});

describe('claiming due operations from two processes on PostgreSQL', () => {
  let a: Store;
  let b: Store;
  const schema = `sb_claim_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  beforeAll(async () => {
    // Two stores with pools of their own: as two processes would be.
    a = await openStore({ url: POSTGRES_URL, schema });
    await a.migrate();
    b = await openStore({ url: POSTGRES_URL, schema });
  });
  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(a.db);
    await Promise.all([a.close(), b.close()]);
  });

  it('hands each due operation to exactly one worker (FOR UPDATE SKIP LOCKED)', async () => {
    const storeA = createOperationStore(a.db, 'postgres');
    const storeB = createOperationStore(b.db, 'postgres');
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await storeA.create('ws', newOp())).operation.id);
    const claimedBy = new Map<string, string[]>();
    const drain = async (store: typeof storeA, worker: string) => {
      for (;;) {
        const due = await store.claimDue(worker, 60_000, 7);
        if (due.length === 0) return;
        for (const d of due) claimedBy.set(d.id, [...(claimedBy.get(d.id) ?? []), worker]);
      }
    };
    await Promise.all([drain(storeA, 'a1'), drain(storeB, 'b1'), drain(storeA, 'a2'), drain(storeB, 'b2')]);
    expect([...claimedBy.keys()].sort()).toEqual([...ids].sort());
    expect([...claimedBy.values()].filter((workers) => workers.length > 1)).toEqual([]);
    expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(1);
  });
});
