import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { Database } from './schema.ts';

export type SyncIssueKind =
  /** The customer is in some systems and not in another. */
  | 'MISSING_IN_SYSTEM'
  /** Two systems hold different values for the same field (after normalisation). */
  | 'FIELD_MISMATCH'
  /** The same email written differently (case, whitespace) in two systems. */
  | 'EMAIL_FORMAT_MISMATCH'
  /** More than one record in one system matches the customer: no link is guessed. */
  | 'AMBIGUOUS_MATCH'
  /** A vendor record already linked to another customer. */
  | 'LINK_CONFLICT'
  /** A website enquiry gave details that differ from the CRM contact's; the CRM was not written over. */
  | 'ENQUIRY_MISMATCH';

export interface SyncIssueInput {
  customerId: string | null;
  kind: SyncIssueKind;
  field: string | null;
  systems: SourceName[];
  /** The value per system, as each holds it. */
  details: Record<string, unknown>;
  message: string;
}

export interface SyncIssue extends SyncIssueInput {
  id: string;
  detectedAt: Date;
  resolvedAt: Date | null;
  /** Who closed it: the settling principal, or `reconciliation` when a run found it no longer holds; null while open. */
  resolvedBy: string | null;
  /** How an operator settled it; null while open, and for issues closed without one (before 0007). */
  resolution: SyncIssueResolution | null;
}

export type SyncIssueResolutionKind =
  /** One system's value was chosen and written to the others (`operationId`). */
  | 'RESOLVED'
  /** Closed without a write, for `reason`. */
  | 'DISMISSED';

export interface SyncIssueResolution {
  kind: SyncIssueResolutionKind;
  /** The system whose value won, for RESOLVED. */
  winner: SourceName | null;
  /** Why it was dismissed, for DISMISSED. */
  reason: string | null;
  /** Who settled it: the principal as the audit log names it. */
  by: string;
  at: Date;
  /** The operation that wrote the winner's value; null when no write was needed. */
  operationId: string | null;
}

export interface SyncIssueFilter {
  customerIds?: readonly string[];
  kinds?: readonly SyncIssueKind[];
  includeResolved?: boolean;
  first?: number;
  /** Id of the last issue of the previous page. */
  after?: string;
}

export interface SyncIssueRepository {
  /** Records the issue unless the same one is already open; returns it and whether it is new. */
  raise(workspace: string, issue: SyncIssueInput): Promise<{ issue: SyncIssue; created: boolean }>;
  list(workspace: string, filter?: SyncIssueFilter): Promise<SyncIssue[]>;
  get(workspace: string, id: string): Promise<SyncIssue | null>;
  /** Closes an open issue; `by` records who (`reconciliation`). False when it was not open. */
  resolve(workspace: string, id: string, by?: string): Promise<boolean>;
  /**
   * Closes an open issue with who settled it and how, in one conditional UPDATE: of two concurrent
   * calls exactly one wins. Returns the issue as settled, or null when it was not open (already
   * settled, or no such issue): nothing is changed then.
   */
  settle(
    workspace: string,
    id: string,
    resolution: Omit<SyncIssueResolution, 'at'>,
  ): Promise<SyncIssue | null>;
}

/** The same mismatch for the same customer and field is one issue, however often it is seen. */
export function dedupeKey(issue: SyncIssueInput): string {
  return [issue.customerId ?? '-', issue.kind, issue.field ?? '-', [...issue.systems].sort().join('+')].join(
    '|',
  );
}

type Row = Database['sync_issues'];

const toIssue = (row: Row): SyncIssue => ({
  id: row.id,
  customerId: row.customer_id,
  kind: row.kind as SyncIssueKind,
  field: row.field,
  systems: JSON.parse(row.systems) as SourceName[],
  details: JSON.parse(row.details) as Record<string, unknown>,
  message: row.message,
  detectedAt: new Date(row.detected_at),
  resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
  resolvedBy: row.resolved_by,
  resolution:
    row.resolved_at && row.resolution_kind && row.resolved_by
      ? {
          kind: row.resolution_kind as SyncIssueResolutionKind,
          winner: row.resolution_winner as SourceName | null,
          reason: row.resolution_reason,
          by: row.resolved_by,
          at: new Date(row.resolved_at),
          operationId: row.resolution_operation_id,
        }
      : null,
});

// Frees the dedupe key so the same mismatch, if it comes back, is raised as a new issue.
const freedDedupeKey = sql<string>`dedupe_key || '|resolved:' || id`;

export function createSyncIssueRepository(db: Kysely<Database>): SyncIssueRepository {
  return {
    async raise(workspace, input) {
      const key = dedupeKey(input);
      const row: Row = {
        workspace_id: workspace,
        id: randomUUID(),
        dedupe_key: key,
        customer_id: input.customerId,
        kind: input.kind,
        field: input.field,
        systems: JSON.stringify(input.systems),
        details: JSON.stringify(input.details),
        message: input.message,
        detected_at: new Date().toISOString(),
        resolved_at: null,
        resolution_kind: null,
        resolution_winner: null,
        resolution_reason: null,
        resolved_by: null,
        resolution_operation_id: null,
      };
      const result = await db
        .insertInto('sync_issues')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return { issue: toIssue(row), created: true };
      const existing = await db
        .selectFrom('sync_issues')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('dedupe_key', '=', key)
        .executeTakeFirstOrThrow();
      return { issue: toIssue(existing), created: false };
    },
    async list(workspace, filter = {}) {
      let query = db.selectFrom('sync_issues').selectAll().where('workspace_id', '=', workspace);
      if (filter.customerIds) {
        if (filter.customerIds.length === 0) return [];
        query = query.where('customer_id', 'in', [...filter.customerIds]);
      }
      if (filter.kinds && filter.kinds.length > 0) query = query.where('kind', 'in', [...filter.kinds]);
      if (!filter.includeResolved) query = query.where('resolved_at', 'is', null);
      if (filter.after) {
        const after = filter.after;
        const anchor = await db
          .selectFrom('sync_issues')
          .select('detected_at')
          .where('workspace_id', '=', workspace)
          .where('id', '=', after)
          .executeTakeFirst();
        if (anchor) {
          query = query.where((eb) =>
            eb.or([
              eb('detected_at', '>', anchor.detected_at),
              eb.and([eb('detected_at', '=', anchor.detected_at), eb('id', '>', after)]),
            ]),
          );
        }
      }
      if (filter.first !== undefined) query = query.limit(filter.first);
      const rows = await query.orderBy('detected_at').orderBy('id').execute();
      return rows.map(toIssue);
    },
    async get(workspace, id) {
      const row = await db
        .selectFrom('sync_issues')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toIssue(row) : null;
    },
    async resolve(workspace, id, by) {
      const result = await db
        .updateTable('sync_issues')
        .set({ resolved_at: new Date().toISOString(), resolved_by: by ?? null, dedupe_key: freedDedupeKey })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('resolved_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async settle(workspace, id, resolution) {
      const result = await db
        .updateTable('sync_issues')
        .set({
          resolved_at: new Date().toISOString(),
          dedupe_key: freedDedupeKey,
          resolution_kind: resolution.kind,
          resolution_winner: resolution.winner,
          resolution_reason: resolution.reason,
          resolved_by: resolution.by,
          resolution_operation_id: resolution.operationId,
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('resolved_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return null;
      const row = await db
        .selectFrom('sync_issues')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return toIssue(row);
    },
  };
}
