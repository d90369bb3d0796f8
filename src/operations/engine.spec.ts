import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import {
  createEngine,
  hashInput,
  sameInput,
  type EngineDeps,
  type EngineOptions,
  type OperationKind,
} from './engine.ts';

describe("a client idempotency key's input hash", () => {
  const input = (start: string) => ({
    input: { customerId: 'c1', start: new Date(start), end: new Date('2026-12-01T11:00:00Z') },
  });

  it('counts a date by its instant, so a changed start is other input', () => {
    const first = hashInput('createBooking', input('2026-12-01T10:00:00Z'));
    expect(hashInput('createBooking', input('2026-12-01T10:00:00Z'))).toBe(first);
    expect(hashInput('createBooking', input('2026-12-02T10:00:00Z'))).not.toBe(first);
    expect(sameInput(first, 'createBooking', input('2026-12-02T10:00:00Z'))).toBe(false);
  });

  it('ignores key order and tells kinds apart', () => {
    expect(hashInput('k', { a: 1, b: [{ c: 2, d: 3 }] })).toBe(hashInput('k', { b: [{ d: 3, c: 2 }], a: 1 }));
    expect(hashInput('k', { a: 1 })).not.toBe(hashInput('other', { a: 1 }));
  });

  it('still recognises a repeat of an operation stored with the old hash (dates as {})', () => {
    // What the hub stored before: sha256 of [kind, canonical input] with {} for every date.
    const stored = createHash('sha256')
      .update(JSON.stringify(['createBooking', { input: { customerId: 'c1', end: {}, start: {} } }]))
      .digest('hex');
    expect(sameInput(stored, 'createBooking', input('2026-12-01T10:00:00Z'))).toBe(true);
  });
});

/** One step that records that it ran. */
const ran: string[] = [];
const oneStep: OperationKind<Record<string, unknown>> = {
  kind: 'oneStep',
  plan: () => ['only'],
  steps: { only: { role: 'payments', run: async () => (ran.push('only'), { done: true }) } },
};

/** An engine with just what it uses: the store, the workspace (its systems' names), a logger, the bus. */
const engineOn = (store: TestStore['store'], options: EngineOptions) =>
  createEngine(
    {
      store,
      workspaces: new Map([['default', { id: 'default', sources: { payments: { name: 'payments' } } }]]),
      logger: { warn() {}, error() {} },
      bus: { invalidate: async () => {} },
    } as unknown as EngineDeps,
    [oneStep as OperationKind<never>],
    options,
  );

describe.each(storeKinds)('an operation just submitted, on %s', (kind) => {
  it("is its submitter's to run: no worker, here or on another replica, takes it first", async () => {
    const { store, drop } = await openTestStore(kind);
    ran.length = 0;
    const submitter = engineOn(store, { workerId: 'replica-a' });
    try {
      const { operation } = await submitter.submit('default', 'oneStep', {});
      // The worker loops poll for due operations; one that polled between submit and run took the
      // operation, and the mutation answered PENDING though its steps would have run in time.
      expect(await submitter.store.claimDue('replica-b', 30_000, 10)).toEqual([]);
      expect(await submitter.store.claimDue('replica-a', 30_000, 10)).toEqual([]);
      const done = await submitter.run('default', operation.id);
      expect(done?.state).toBe('COMPLETED');
      expect(ran).toEqual(['only']);
    } finally {
      await drop();
    }
  });

  it('is left to the workers when its submitter never runs it (a crash), once the lease ends', async () => {
    const { store, drop } = await openTestStore(kind);
    const submitter = engineOn(store, { leaseMs: 50 });
    try {
      const { operation } = await submitter.submit('default', 'oneStep', {});
      await new Promise((r) => setTimeout(r, 80));
      expect(await submitter.store.claimDue('another', 30_000, 10)).toEqual([
        { workspace: 'default', id: operation.id },
      ]);
    } finally {
      await drop();
    }
  });
});
