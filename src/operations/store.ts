import { sql, type Kysely, type Transaction } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { Database } from '../store/schema.ts';

/**
 * The transactional outbox. An operation and all its steps are written before any vendor is called;
 * a step is marked RUNNING (and its attempt counted) before each call, so after a crash the hub knows
 * what may have reached the vendor and retries it with the same idempotency key.
 */
export type OperationState =
  /** Steps are still to run (now, or at `nextRunAt` after a retryable failure). */
  | 'PENDING'
  /** A step failed for good; the steps done before it are being undone. */
  | 'COMPENSATING'
  | 'COMPLETED'
  /** A step failed for good and everything done before it was undone. */
  | 'FAILED'
  /** A step (or an undo) kept failing and gave up: a failed delivery, waiting for `retryDelivery`. */
  | 'DELIVERY_FAILED';

export type StepState =
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED'
  /** The vendor refused it and retrying cannot help. */
  | 'FAILED'
  /** Retryable failures until the attempts ran out: a failed delivery. */
  | 'GAVE_UP'
  /** Not run because an earlier step failed. */
  | 'SKIPPED'
  | 'COMPENSATED'
  | 'COMPENSATION_FAILED';

export interface StepRecord {
  position: number;
  name: string;
  system: SourceName;
  state: StepState;
  idempotencyKey: string;
  attempts: number;
  result: Record<string, unknown> | null;
  lastError: string | null;
  lastErrorCode: string | null;
  nextAttemptAt: Date | null;
  updatedAt: Date;
}

export interface OperationRecord {
  workspace: string;
  id: string;
  kind: string;
  state: OperationState;
  input: Record<string, unknown>;
  inputHash: string;
  clientKey: string | null;
  context: Record<string, unknown>;
  error: string | null;
  nextRunAt: Date;
  createdAt: Date;
  updatedAt: Date;
  steps: StepRecord[];
}

export interface NewOperation {
  id: string;
  kind: string;
  input: Record<string, unknown>;
  inputHash: string;
  clientKey: string | null;
  context: Record<string, unknown>;
  steps: Array<{ name: string; system: SourceName }>;
  /**
   * Stored already leased to this worker until then, so the worker loop (this process's or another
   * replica's) cannot take an operation its submitter is about to run in the caller's time.
   */
  lease?: { workerId: string; until: Date };
}

export interface FailedDelivery {
  operation: OperationRecord;
  step: StepRecord;
}

type OperationRow = Database['operations'];
type StepRow = Database['operation_steps'];

const iso = (date: Date) => date.toISOString();
const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

const toStep = (row: StepRow): StepRecord => ({
  position: row.position,
  name: row.name,
  system: row.system as SourceName,
  state: row.state as StepState,
  idempotencyKey: row.idempotency_key,
  attempts: row.attempts,
  result: parse(row.result),
  lastError: row.last_error,
  lastErrorCode: row.last_error_code,
  nextAttemptAt: row.next_attempt_at ? new Date(row.next_attempt_at) : null,
  updatedAt: new Date(row.updated_at),
});

const toOperation = (row: OperationRow, steps: StepRow[]): OperationRecord => ({
  workspace: row.workspace_id,
  id: row.id,
  kind: row.kind,
  state: row.state as OperationState,
  input: JSON.parse(row.input) as Record<string, unknown>,
  inputHash: row.input_hash,
  clientKey: row.client_key,
  context: JSON.parse(row.context) as Record<string, unknown>,
  error: row.error,
  nextRunAt: new Date(row.next_run_at),
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  steps: steps.map(toStep).sort((a, b) => a.position - b.position),
});

export type StepPatch = Partial<{
  state: StepState;
  attempts: number;
  result: Record<string, unknown> | null;
  lastError: string | null;
  lastErrorCode: string | null;
  nextAttemptAt: Date | null;
}>;

export type OperationPatch = Partial<{
  state: OperationState;
  context: Record<string, unknown>;
  error: string | null;
  nextRunAt: Date;
}>;

export function createOperationStore(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
  const load = async (
    workspace: string,
    id: string,
    q: Kysely<Database> = db,
  ): Promise<OperationRecord | null> => {
    const row = await q
      .selectFrom('operations')
      .selectAll()
      .where('workspace_id', '=', workspace)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const steps = await q
      .selectFrom('operation_steps')
      .selectAll()
      .where('workspace_id', '=', workspace)
      .where('operation_id', '=', id)
      .execute();
    return toOperation(row, steps);
  };

  return {
    get: (workspace: string, id: string) => load(workspace, id),

    /**
     * Stores a new operation with its steps, and whatever `alsoWrite` adds in the same transaction.
     * With a client key already used in this workspace, stores nothing and returns the existing one.
     */
    async create(
      workspace: string,
      op: NewOperation,
      alsoWrite?: (trx: Transaction<Database>, operationId: string) => Promise<void>,
    ): Promise<{ operation: OperationRecord; created: boolean }> {
      const now = iso(new Date());
      const created = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('operations')
          .values({
            workspace_id: workspace,
            id: op.id,
            kind: op.kind,
            state: 'PENDING',
            input: JSON.stringify(op.input),
            input_hash: op.inputHash,
            client_key: op.clientKey,
            context: JSON.stringify(op.context),
            error: null,
            next_run_at: now,
            locked_by: op.lease?.workerId ?? null,
            locked_until: op.lease ? iso(op.lease.until) : null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(['workspace_id', 'client_key']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
        if (op.steps.length > 0) {
          await trx
            .insertInto('operation_steps')
            .values(
              op.steps.map((step, position) => ({
                workspace_id: workspace,
                operation_id: op.id,
                position,
                name: step.name,
                system: step.system,
                state: 'PENDING',
                idempotency_key: `sb-${op.id}-${position}`,
                attempts: 0,
                result: null,
                last_error: null,
                last_error_code: null,
                next_attempt_at: null,
                updated_at: now,
              })),
            )
            .execute();
        }
        await alsoWrite?.(trx, op.id);
        return true;
      });
      if (created) return { operation: (await load(workspace, op.id)) as OperationRecord, created: true };
      const existing = await db
        .selectFrom('operations')
        .select('id')
        .where('workspace_id', '=', workspace)
        .where('client_key', '=', op.clientKey)
        .executeTakeFirstOrThrow();
      return { operation: (await load(workspace, existing.id)) as OperationRecord, created: false };
    },

    /** The operation a client key already started, if any. */
    async findByClientKey(workspace: string, clientKey: string): Promise<OperationRecord | null> {
      const row = await db
        .selectFrom('operations')
        .select('id')
        .where('workspace_id', '=', workspace)
        .where('client_key', '=', clientKey)
        .executeTakeFirst();
      return row ? load(workspace, row.id) : null;
    },

    /** Takes the lease on one operation if nobody holds it; false when another worker does. */
    async claim(workspace: string, id: string, workerId: string, leaseMs: number): Promise<boolean> {
      const now = new Date();
      const result = await db
        .updateTable('operations')
        .set({ locked_by: workerId, locked_until: iso(new Date(now.getTime() + leaseMs)) })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', iso(now))]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /**
     * Leases up to `limit` operations that are due. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets
     * workers in several processes claim at once without waiting on each other or taking the same
     * row; SQLite has one writer, so the UPDATE alone is atomic.
     */
    async claimDue(
      workerId: string,
      leaseMs: number,
      limit: number,
    ): Promise<Array<{ workspace: string; id: string }>> {
      const now = new Date();
      const until = iso(new Date(now.getTime() + leaseMs));
      const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const result = await sql<{ workspace_id: string; id: string }>`
        update operations set locked_by = ${workerId}, locked_until = ${until}
        where (workspace_id, id) in (
          select workspace_id, id from operations
          where state in ('PENDING', 'COMPENSATING')
            and next_run_at <= ${iso(now)}
            and (locked_until is null or locked_until < ${iso(now)})
          order by next_run_at
          limit ${limit}
          ${lock}
        )
        returning workspace_id, id`.execute(db);
      return result.rows.map((r) => ({ workspace: r.workspace_id, id: r.id }));
    },

    /** Extends the lease while a long operation runs. */
    async renew(workspace: string, id: string, workerId: string, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('operations')
        .set({ locked_until: iso(new Date(Date.now() + leaseMs)) })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async release(workspace: string, id: string, workerId: string): Promise<void> {
      await db
        .updateTable('operations')
        .set({ locked_by: null, locked_until: null })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .execute();
    },

    async updateOperation(workspace: string, id: string, patch: OperationPatch): Promise<void> {
      await db
        .updateTable('operations')
        .set({
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.context !== undefined ? { context: JSON.stringify(patch.context) } : {}),
          ...(patch.error !== undefined ? { error: patch.error } : {}),
          ...(patch.nextRunAt !== undefined ? { next_run_at: iso(patch.nextRunAt) } : {}),
          updated_at: iso(new Date()),
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .execute();
    },

    async updateStep(
      workspace: string,
      operationId: string,
      position: number,
      patch: StepPatch,
    ): Promise<void> {
      await db
        .updateTable('operation_steps')
        .set({
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.attempts !== undefined ? { attempts: patch.attempts } : {}),
          ...(patch.result !== undefined
            ? { result: patch.result === null ? null : JSON.stringify(patch.result) }
            : {}),
          ...(patch.lastError !== undefined ? { last_error: patch.lastError } : {}),
          ...(patch.lastErrorCode !== undefined ? { last_error_code: patch.lastErrorCode } : {}),
          ...(patch.nextAttemptAt !== undefined
            ? { next_attempt_at: patch.nextAttemptAt ? iso(patch.nextAttemptAt) : null }
            : {}),
          updated_at: iso(new Date()),
        })
        .where('workspace_id', '=', workspace)
        .where('operation_id', '=', operationId)
        .where('position', '=', position)
        .execute();
    },

    /** Steps that gave up, oldest first, with their operations. */
    async failedDeliveries(
      workspace: string,
      first: number,
      afterUpdatedAt?: string,
    ): Promise<FailedDelivery[]> {
      let query = db
        .selectFrom('operation_steps')
        .select(['operation_id', 'position', 'updated_at'])
        .where('workspace_id', '=', workspace)
        .where('state', 'in', ['GAVE_UP', 'COMPENSATION_FAILED']);
      if (afterUpdatedAt) query = query.where('updated_at', '>', afterUpdatedAt);
      const rows = await query.orderBy('updated_at').limit(first).execute();
      const out: FailedDelivery[] = [];
      for (const row of rows) {
        const operation = await load(workspace, row.operation_id);
        const step = operation?.steps.find((s) => s.position === row.position);
        if (operation && step) out.push({ operation, step });
      }
      return out;
    },

    /**
     * The workspace's operations newest first, with their steps (the console's Writes page).
     * `after` is the last operation of the previous page; two queries a page, whatever its size.
     */
    async list(
      workspace: string,
      options: {
        states?: readonly OperationState[];
        first: number;
        after?: { createdAt: string; id: string };
      },
    ): Promise<OperationRecord[]> {
      let query = db.selectFrom('operations').selectAll().where('workspace_id', '=', workspace);
      if (options.states?.length) query = query.where('state', 'in', [...options.states]);
      const after = options.after;
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '<', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(options.first)
        .execute();
      if (rows.length === 0) return [];
      const steps = await db
        .selectFrom('operation_steps')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where(
          'operation_id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      const byOperation = new Map<string, StepRow[]>();
      for (const step of steps) {
        byOperation.set(step.operation_id, [...(byOperation.get(step.operation_id) ?? []), step]);
      }
      return rows.map((row) => toOperation(row, byOperation.get(row.id) ?? []));
    },

    /** For metrics: operations not finished yet, and steps waiting for a replay, over all workspaces. */
    async counts(): Promise<{ pending: number; failedDeliveries: number }> {
      const pending = await db
        .selectFrom('operations')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('state', 'in', ['PENDING', 'COMPENSATING'])
        .executeTakeFirstOrThrow();
      const failed = await db
        .selectFrom('operation_steps')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('state', 'in', ['GAVE_UP', 'COMPENSATION_FAILED'])
        .executeTakeFirstOrThrow();
      return { pending: Number(pending.n), failedDeliveries: Number(failed.n) };
    },
  };
}

export type OperationStore = ReturnType<typeof createOperationStore>;
