import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createReconciliationRunRepository } from './reconciliation-runs.ts';
import { createSyncIssueRepository } from './sync-issues.ts';

const counts = {
  customersChecked: 3,
  issuesRaised: 1,
  issuesClosed: 2,
  errors: 1,
  lastError: 'stripe failed',
};

describe.each(storeKinds)('reconciliation runs on %s', (kind) => {
  let test: TestStore;
  beforeEach(async () => {
    test = await openTestStore(kind);
  });
  afterEach(() => test.drop());

  it('never holds two RUNNING runs of a workspace, even when asked at once', async () => {
    const runs = createReconciliationRunRepository(test.store.db);
    const [a, b, c] = await Promise.all([
      runs.begin('ws1', 'request', 60_000),
      runs.begin('ws1', 'schedule', 60_000),
      runs.begin('ws1', 'request', 60_000),
    ]);
    expect([a, b, c].filter((r) => r.started)).toHaveLength(1);
    expect(new Set([a.run.id, b.run.id, c.run.id]).size).toBe(1);
    expect((await runs.begin('ws2', 'request', 60_000)).started).toBe(true);

    const finished = await runs.finish('ws1', a.run.id, 'COMPLETED', counts);
    expect(finished).toMatchObject({ state: 'COMPLETED', ...counts });
    expect(finished?.finishedAt).toBeInstanceOf(Date);
    expect(await runs.running('ws1')).toBeNull();
    expect((await runs.lastFinished('ws1'))?.id).toBe(a.run.id);
    expect(await runs.lastStarted('ws1', 'request')).toEqual(a.run.startedAt);
    const next = await runs.begin('ws1', 'request', 60_000);
    expect(next.started).toBe(true);
    expect(next.run.id).not.toBe(a.run.id);
  });

  it('fails a run whose heartbeat stopped (its process died) before starting the next', async () => {
    const runs = createReconciliationRunRepository(test.store.db);
    const dead = await runs.begin('ws1', 'schedule', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await runs.running('ws1'))?.id).toBe(dead.run.id);
    expect(await runs.running('ws1', 10)).toBeNull();
    const next = await runs.begin('ws1', 'request', 10);
    expect(next.started).toBe(true);
    expect(await runs.lastFinished('ws1')).toMatchObject({
      id: dead.run.id,
      state: 'FAILED',
      lastError: 'the process running it stopped before it finished',
    });
  });

  it('records who closed a sync issue', async () => {
    const issues = createSyncIssueRepository(test.store.db);
    const { issue } = await issues.raise('ws1', {
      customerId: 'c1',
      kind: 'FIELD_MISMATCH',
      field: 'phone',
      systems: ['hubspot', 'stripe'],
      details: {},
      message: 'The phone differs',
    });
    expect(await issues.resolve('ws1', issue.id, 'reconciliation')).toBe(true);
    expect(await issues.get('ws1', issue.id)).toMatchObject({ resolvedBy: 'reconciliation' });
  });
});
