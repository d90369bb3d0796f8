import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createSyncIssueRepository, type SyncIssueInput } from './sync-issues.ts';

const mismatch = (customerId: string): SyncIssueInput => ({
  customerId,
  kind: 'FIELD_MISMATCH',
  field: 'phone',
  systems: ['hubspot', 'stripe'],
  details: { hubspot: '+44 7700 900001', stripe: '+44 7700 900002' },
  message: 'phone differs',
});

describe.each(storeKinds)('settling sync issues on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  it('records who resolved an issue, with which winner and operation, once; a second settle changes nothing', async () => {
    const issues = createSyncIssueRepository(t.store.db);
    const { issue } = await issues.raise('ws1', mismatch('c1'));
    expect(issue.resolution).toBeNull();
    const settled = await issues.settle('ws1', issue.id, {
      kind: 'RESOLVED',
      winner: 'stripe',
      reason: null,
      by: 'key_op1',
      operationId: 'op-1',
    });
    expect(settled).toMatchObject({
      id: issue.id,
      resolvedAt: expect.any(Date),
      resolution: { kind: 'RESOLVED', winner: 'stripe', reason: null, by: 'key_op1', operationId: 'op-1' },
    });
    expect(settled!.resolution!.at).toEqual(settled!.resolvedAt);

    const again = await issues.settle('ws1', issue.id, {
      kind: 'DISMISSED',
      winner: null,
      reason: 'late',
      by: 'key_op2',
      operationId: null,
    });
    expect(again).toBeNull();
    expect(await issues.get('ws1', issue.id)).toEqual(settled);
    // Closed, it frees its dedupe key: the same mismatch seen again is a new issue.
    expect((await issues.raise('ws1', mismatch('c1'))).created).toBe(true);
    expect(await issues.list('ws1', { customerIds: ['c1'], includeResolved: true })).toHaveLength(2);
  });

  it('dismisses with a reason; an unknown id or another workspace settles nothing', async () => {
    const issues = createSyncIssueRepository(t.store.db);
    const { issue } = await issues.raise('ws1', mismatch('c2'));
    const dismissal = {
      kind: 'DISMISSED' as const,
      winner: null,
      reason: 'both numbers are hers',
      by: 'jwt:ana',
      operationId: null,
    };
    expect(await issues.settle('ws1', 'no-such-issue', dismissal)).toBeNull();
    expect(await issues.settle('ws2', issue.id, dismissal)).toBeNull();
    expect((await issues.get('ws1', issue.id))!.resolvedAt).toBeNull();
    const settled = await issues.settle('ws1', issue.id, dismissal);
    expect(settled!.resolution).toMatchObject({
      kind: 'DISMISSED',
      reason: 'both numbers are hers',
      by: 'jwt:ana',
    });
    expect(await issues.list('ws1', { customerIds: ['c2'] })).toEqual([]);
    const [listed] = await issues.list('ws1', { customerIds: ['c2'], includeResolved: true });
    expect(listed!.resolution).toEqual(settled!.resolution);
  });

  it('lets exactly one of several concurrent settles win (conditional UPDATE)', async () => {
    const issues = createSyncIssueRepository(t.store.db);
    const { issue } = await issues.raise('ws1', mismatch('c3'));
    const results = await Promise.all(
      ['hubspot', 'stripe', 'hubspot', 'stripe'].map((winner, i) =>
        issues.settle('ws1', issue.id, {
          kind: 'RESOLVED',
          winner: winner as 'hubspot' | 'stripe',
          reason: null,
          by: `key_${i}`,
          operationId: `op-${i}`,
        }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await issues.get('ws1', issue.id)).toEqual(winners[0]);
  });

  it('leaves an issue closed by the hub (resolve) without a resolution', async () => {
    const issues = createSyncIssueRepository(t.store.db);
    const { issue } = await issues.raise('ws1', mismatch('c4'));
    expect(await issues.resolve('ws1', issue.id)).toBe(true);
    const closed = await issues.get('ws1', issue.id);
    expect(closed!.resolvedAt).toBeInstanceOf(Date);
    expect(closed!.resolution).toBeNull();
  });
});
