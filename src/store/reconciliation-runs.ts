import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type ReconciliationState = 'RUNNING' | 'COMPLETED' | 'FAILED';
export type ReconciliationTrigger = 'schedule' | 'request';

export interface ReconciliationCounts {
  customersChecked: number;
  issuesRaised: number;
  issuesClosed: number;
  errors: number;
  lastError: string | null;
}

export interface ReconciliationRun extends ReconciliationCounts {
  id: string;
  workspace: string;
  state: ReconciliationState;
  trigger: ReconciliationTrigger;
  startedAt: Date;
  finishedAt: Date | null;
}

/**
 * Reconciliation runs in the store, so every replica sees the same last run and the same running one.
 * At most one RUNNING run per workspace: the store's partial unique index refuses a second insert,
 * and a RUNNING row whose heartbeat is older than `staleAfterMs` (its replica died) is marked FAILED
 * before a new run may start.
 */
export interface ReconciliationRunRepository {
  /**
   * A new RUNNING run, or the one already running (`started: false`). Never two, whatever the number
   * of replicas asking at once.
   */
  begin(
    workspace: string,
    trigger: ReconciliationTrigger,
    staleAfterMs: number,
  ): Promise<{ run: ReconciliationRun; started: boolean }>;
  /** Counts so far, and proof of life. */
  heartbeat(workspace: string, id: string, counts: ReconciliationCounts): Promise<void>;
  finish(
    workspace: string,
    id: string,
    state: Exclude<ReconciliationState, 'RUNNING'>,
    counts: ReconciliationCounts,
  ): Promise<ReconciliationRun | null>;
  /** The RUNNING run; with `staleAfterMs`, not one whose heartbeat stopped that long ago (a dead replica's). */
  running(workspace: string, staleAfterMs?: number): Promise<ReconciliationRun | null>;
  /** When the latest run of that trigger started, whatever its state. */
  lastStarted(workspace: string, trigger: ReconciliationTrigger): Promise<Date | null>;
  /** The latest run that finished (COMPLETED or FAILED). */
  lastFinished(workspace: string): Promise<ReconciliationRun | null>;
}

type Row = Database['reconciliation_runs'];

const toRun = (row: Row): ReconciliationRun => ({
  id: row.id,
  workspace: row.workspace_id,
  state: row.state as ReconciliationState,
  trigger: row.trigger as ReconciliationTrigger,
  startedAt: new Date(row.started_at),
  finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  customersChecked: Number(row.customers_checked),
  issuesRaised: Number(row.issues_raised),
  issuesClosed: Number(row.issues_closed),
  errors: Number(row.errors),
  lastError: row.last_error,
});

const countColumns = (c: ReconciliationCounts) => ({
  customers_checked: c.customersChecked,
  issues_raised: c.issuesRaised,
  issues_closed: c.issuesClosed,
  errors: c.errors,
  last_error: c.lastError,
});

export function createReconciliationRunRepository(db: Kysely<Database>): ReconciliationRunRepository {
  const running = async (workspace: string, staleAfterMs?: number) => {
    let query = db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .where('workspace_id', '=', workspace)
      .where('state', '=', 'RUNNING');
    if (staleAfterMs !== undefined) {
      query = query.where('heartbeat_at', '>=', new Date(Date.now() - staleAfterMs).toISOString());
    }
    const row = await query.executeTakeFirst();
    return row ? toRun(row) : null;
  };
  const begin: ReconciliationRunRepository['begin'] = async (workspace, trigger, staleAfterMs) => {
    const now = new Date();
    await db
      .updateTable('reconciliation_runs')
      .set({
        state: 'FAILED',
        finished_at: now.toISOString(),
        last_error: 'the process running it stopped before it finished',
      })
      .where('workspace_id', '=', workspace)
      .where('state', '=', 'RUNNING')
      .where('heartbeat_at', '<', new Date(now.getTime() - staleAfterMs).toISOString())
      .execute();
    const row: Row = {
      workspace_id: workspace,
      id: randomUUID(),
      state: 'RUNNING',
      trigger,
      started_at: now.toISOString(),
      finished_at: null,
      heartbeat_at: now.toISOString(),
      ...countColumns({ customersChecked: 0, issuesRaised: 0, issuesClosed: 0, errors: 0, lastError: null }),
    };
    const result = await db
      .insertInto('reconciliation_runs')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return { run: toRun(row), started: true };
    const current = await running(workspace);
    // The one running finished between the refused insert and this read: try once more.
    if (!current) return begin(workspace, trigger, staleAfterMs);
    return { run: current, started: false };
  };
  return {
    running,
    begin,
    async heartbeat(workspace, id, counts) {
      await db
        .updateTable('reconciliation_runs')
        .set({ heartbeat_at: new Date().toISOString(), ...countColumns(counts) })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('state', '=', 'RUNNING')
        .execute();
    },
    async finish(workspace, id, state, counts) {
      const now = new Date().toISOString();
      await db
        .updateTable('reconciliation_runs')
        .set({ state, finished_at: now, heartbeat_at: now, ...countColumns(counts) })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('state', '=', 'RUNNING')
        .execute();
      const row = await db
        .selectFrom('reconciliation_runs')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRun(row) : null;
    },
    async lastStarted(workspace, trigger) {
      const row = await db
        .selectFrom('reconciliation_runs')
        .select('started_at')
        .where('workspace_id', '=', workspace)
        .where('trigger', '=', trigger)
        .orderBy('started_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? new Date(row.started_at) : null;
    },
    async lastFinished(workspace) {
      const row = await db
        .selectFrom('reconciliation_runs')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('state', '!=', 'RUNNING')
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRun(row) : null;
    },
  };
}
