import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import type { Workspace } from '../domain/workspace.ts';
import { createLocalBus } from '../events/bus.ts';
import { createLogger } from '../observability/logger.ts';
import { createIdentity } from '../links/identity.ts';
import { createLinkRepository } from '../store/links.ts';
import { createReconciliationRunRepository } from '../store/reconciliation-runs.ts';
import { createSyncIssueRepository } from '../store/sync-issues.ts';
import { createReconciler } from './reconcile.ts';

// The run's lifecycle on a real store. The workspace has no customers, so a run reads no vendor:
// what is tested is one run at a time, its record, and the schedule's hand-over between replicas.
describe('the reconciler', () => {
  let test: TestStore;
  beforeEach(async () => {
    test = await openTestStore('sqlite');
  });
  afterEach(() => test.drop());

  /** A replica's reconciler over the shared store. */
  const replica = () => {
    const db = test.store.db;
    const links = createLinkRepository(db);
    const issues = createSyncIssueRepository(db);
    const workspace = { id: 'ws1', name: 'ws1', currency: 'GBP', sources: {} } as Workspace;
    return createReconciler({
      runs: createReconciliationRunRepository(db),
      links,
      issues,
      identity: createIdentity({ links, issues }),
      bus: createLocalBus(),
      workspaces: new Map([[workspace.id, workspace]]),
      logger: createLogger(),
    });
  };

  it('starts a run, returns the same one while it runs, and records it COMPLETED', async () => {
    const reconciler = replica();
    const [a, b] = await Promise.all([reconciler.start('ws1'), reconciler.start('ws1')]);
    expect(a.id).toBe(b.id);
    expect(a.state).toBe('RUNNING');
    await reconciler.idle('ws1');
    const status = await reconciler.status('ws1');
    expect(status).toMatchObject({
      running: null,
      nextRunAt: null,
      lastRun: { id: a.id, state: 'COMPLETED', customersChecked: 0, errors: 0 },
    });
    await reconciler.stop();
  });

  it('plans the next nightly run, and runs a scheduled time once across replicas', async () => {
    const [one, two] = [replica(), replica()];
    one.schedule({ hour: 2, minute: 0 });
    expect((await one.status('ws1')).nextRunAt?.getUTCHours()).toBe(2);
    one.schedule(null);
    expect((await one.status('ws1')).nextRunAt).toBeNull();

    const at = new Date();
    await one.runScheduled(at);
    await one.idle('ws1');
    await two.runScheduled(at);
    await two.idle('ws1');
    const rows = await test.store.db.selectFrom('reconciliation_runs').selectAll().execute();
    expect(rows.map((r) => [r.trigger, r.state])).toEqual([['schedule', 'COMPLETED']]);
    await Promise.all([one.stop(), two.stop()]);
  });

  it('refuses to start once stopped', async () => {
    const reconciler = replica();
    await reconciler.stop();
    await expect(reconciler.start('ws1')).rejects.toThrow(/stopping/);
  });
});
