import { PEOPLE_ROLES, type PeopleRole } from '../cache/keys.ts';
import { hubTableChanged } from '../cache/response-cache.ts';
import type { PersonRecord, SourceName } from '../domain/model.ts';
import { normalisePhone } from '../domain/model.ts';
import type { PersonChanges } from '../domain/ports.ts';
import type { Workspace } from '../domain/workspace.ts';
import type { Identity } from '../links/identity.ts';
import type { Engine } from '../operations/engine.ts';
import type { ResolveSyncIssueInput } from '../operations/kinds/customer.ts';
import type { OperationRecord } from '../operations/store.ts';
import { createLinkRepository } from '../store/links.ts';
import {
  createSyncIssueRepository,
  type SyncIssue,
  type SyncIssueKind,
  type SyncIssueRepository,
} from '../store/sync-issues.ts';
import { systemLabel } from '../systems.ts';

/** Why an operator's resolution or dismissal was refused; nothing was changed. */
export class SyncIssueRefused extends Error {
  constructor(
    message: string,
    /** NOT_FOUND (no such issue), BAD_USER_INPUT (see `argument`), SYNC_ISSUE_ALREADY_RESOLVED. */
    readonly code: 'NOT_FOUND' | 'BAD_USER_INPUT' | 'SYNC_ISSUE_ALREADY_RESOLVED',
    readonly argument?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SyncIssueRefused';
  }
}

/** The kinds where one system's value can win. The others have no value to choose (see `resolve`). */
const WINNABLE: ReadonlySet<SyncIssueKind> = new Set(['FIELD_MISMATCH', 'EMAIL_FORMAT_MISMATCH']);

export const MAX_DISMISS_REASON = 500;

export interface Resolution {
  issue: SyncIssue;
  /** The write that carries the winner's value; null when every system already held it. */
  operation: OperationRecord | null;
}

/** A full name as first and last (the last word), for a system that holds only `name`. */
function splitName(name: string | null): { firstName: string | null; lastName: string | null } {
  const trimmed = name?.trim().replace(/\s+/g, ' ') ?? '';
  const at = trimmed.lastIndexOf(' ');
  return at === -1
    ? { firstName: trimmed || null, lastName: null }
    : { firstName: trimmed.slice(0, at), lastName: trimmed.slice(at + 1) };
}

/** The field's value in a record, as written to the others; null when the record holds none. */
function valueOf(field: string, record: PersonRecord): PersonChanges | null {
  if (field === 'email') return record.email ? { email: record.email } : null;
  if (field === 'phone') return record.phone ? { phone: record.phone } : null;
  if (field === 'name') {
    const { firstName, lastName } =
      record.firstName && record.lastName
        ? { firstName: record.firstName, lastName: record.lastName }
        : splitName(record.name);
    return firstName && lastName ? { firstName, lastName } : null;
  }
  return null;
}

/** Whether two records agree on the field, as the backfill compares it (emails exactly: format counts). */
function agree(field: string, a: PersonChanges, b: PersonChanges | null): boolean {
  if (!b) return false;
  if (field === 'phone') return normalisePhone(a.phone) === normalisePhone(b.phone);
  if (field === 'name') {
    const name = (c: PersonChanges) =>
      `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim().replace(/\s+/g, ' ').toLowerCase();
    return name(a) === name(b);
  }
  return a.email === b.email;
}

/**
 * An operator settling sync issues (issue 12): resolving one by choosing the system whose value wins,
 * which writes it to the issue's other systems as an ordinary operation over the outbox, or
 * dismissing one with a reason. Either closes the issue in one conditional UPDATE, so of two
 * concurrent calls exactly one wins; the loser is refused and changes nothing.
 */
export function createSyncIssueResolutions(deps: {
  issues: SyncIssueRepository;
  identity: Pick<Identity, 'recordsIn'>;
  engine: Pick<Engine, 'submit' | 'run'>;
}) {
  const { issues, identity, engine } = deps;

  const alreadySettled = (issue: SyncIssue | null) => {
    const r = issue?.resolution;
    const when = issue?.resolvedAt?.toISOString() ?? 'an earlier time';
    return new SyncIssueRefused(
      r
        ? `This sync issue was already ${r.kind === 'DISMISSED' ? 'dismissed' : 'resolved'} at ${when} by ${r.by}; nothing was changed.`
        : `This sync issue was already resolved at ${when}; nothing was changed.`,
      'SYNC_ISSUE_ALREADY_RESOLVED',
      undefined,
      { resolvedAt: when, resolvedBy: r?.by ?? null, resolution: r?.kind ?? null },
    );
  };

  const openIssue = async (workspace: string, id: string) => {
    const issue = await issues.get(workspace, id);
    if (!issue) throw new SyncIssueRefused('No sync issue of this workspace has this id.', 'NOT_FOUND', 'id');
    if (issue.resolvedAt) throw alreadySettled(issue);
    return issue;
  };

  /** The customer's record in `system`, read now from the vendor (not the cache). */
  async function readPerson(
    workspace: Workspace,
    role: PeopleRole,
    externalId: string,
    signal?: AbortSignal,
  ): Promise<PersonRecord> {
    const { sources } = workspace;
    const ids = [externalId];
    const [record] =
      role === 'crm'
        ? await sources.crm.getContacts(ids, { signal })
        : role === 'payments'
          ? await sources.payments.getCustomers(ids, { signal })
          : await sources.accounting.getContacts(ids, { signal });
    if (record instanceof Error && (record as { code?: string }).code === 'NOT_FOUND') {
      throw new SyncIssueRefused(
        `${systemLabel(sources[role].name)} no longer has the customer's record ${externalId}: dismiss the issue, or fix it in the vendor's own app.`,
        'BAD_USER_INPUT',
        'id',
      );
    }
    if (!record || record instanceof Error) throw record ?? new Error(`no answer for ${externalId}`);
    return record;
  }

  return {
    /**
     * Takes the winner's value for the issue's field, read fresh from the winner, and writes it to
     * every other system of the issue that does not hold it already: one `resolveSyncIssue`
     * operation, stored in the same transaction that closes the issue, with a client key derived
     * from the issue and the winner (a repeat finds it and writes nothing). Runs its steps in the
     * caller's time like any mutation; retries and failed deliveries as for any operation.
     *
     * Refused (SyncIssueRefused, nothing changed): an unknown id, an issue already settled, a kind
     * with no value to choose (MISSING_IN_SYSTEM, AMBIGUOUS_MATCH, LINK_CONFLICT: dismiss them or fix
     * them in the vendor), a winner that is not one of the issue's systems, a system or record that
     * is gone. A vendor failure while reading the winner rejects with its SourceError.
     */
    async resolve(
      workspace: Workspace,
      id: string,
      winner: SourceName,
      by: string,
      signal?: AbortSignal,
    ): Promise<Resolution> {
      const issue = await openIssue(workspace.id, id);
      if (!WINNABLE.has(issue.kind)) {
        throw new SyncIssueRefused(
          `A ${issue.kind} sync issue has no value to choose a winner for: dismiss it (dismissSyncIssue) or fix it in the vendor's own app.`,
          'BAD_USER_INPUT',
          'id',
        );
      }
      const labels = issue.systems.map((s) => s.toUpperCase()).join(', ');
      if (!issue.systems.includes(winner)) {
        throw new SyncIssueRefused(
          `"winner" must be one of the issue's systems (${labels}), got ${winner.toUpperCase()}.`,
          'BAD_USER_INPUT',
          'winner',
        );
      }
      const { customerId, field } = issue;
      if (!customerId || !field) {
        throw new SyncIssueRefused(
          'This sync issue names no customer or field, so there is nothing to write: dismiss it.',
          'BAD_USER_INPUT',
          'id',
        );
      }
      const records = await Promise.all(
        issue.systems.map(async (system) => {
          const role = PEOPLE_ROLES.find((r) => workspace.sources[r].name === system);
          const externalId = (await identity.recordsIn(workspace.id, system, [customerId])).get(customerId);
          if (!role || !externalId) {
            throw new SyncIssueRefused(
              `${systemLabel(system)} ${role ? 'has no record linked to this customer' : 'is no longer connected to this workspace'}: dismiss the issue, or fix it in the vendor's own app.`,
              'BAD_USER_INPUT',
              'id',
            );
          }
          return { system, role, externalId };
        }),
      );
      const read = await Promise.all(
        records.map(async (r) => ({
          ...r,
          value: valueOf(field, await readPerson(workspace, r.role, r.externalId, signal)),
        })),
      );
      const chosen = read.find((r) => r.system === winner)!.value;
      if (!chosen) {
        throw new SyncIssueRefused(
          `${systemLabel(winner)} holds no ${field} for this customer now, so it cannot win: choose another system or dismiss the issue.`,
          'BAD_USER_INPUT',
          'winner',
        );
      }
      const losers = read.filter((r) => r.system !== winner && !agree(field, chosen, r.value));
      const resolution = { kind: 'RESOLVED' as const, winner, reason: null, by };

      if (losers.length === 0) {
        const settled = await issues.settle(workspace.id, id, { ...resolution, operationId: null });
        if (!settled) throw alreadySettled(await issues.get(workspace.id, id));
        return { issue: settled, operation: null };
      }

      const input: ResolveSyncIssueInput = {
        customerId,
        changes: chosen,
        links: Object.fromEntries(losers.map((r) => [r.role, r.externalId])),
        issueId: id,
        field,
        winner,
      };
      // Set inside the transaction; a closure's assignment is invisible to TypeScript's narrowing.
      const closed: { issue: SyncIssue | null } = { issue: null };
      const { operation, created } = await engine.submit(workspace.id, 'resolveSyncIssue', input, {
        clientKey: `sync-issue:${id}:${winner}`,
        clientArgs: { issueId: id, winner },
        alsoWrite: async (trx, operationId) => {
          closed.issue = await createSyncIssueRepository(trx).settle(workspace.id, id, {
            ...resolution,
            operationId,
          });
          // Another resolution or dismissal closed it since it was read: this operation is not stored.
          if (!closed.issue) throw alreadySettled(await createSyncIssueRepository(trx).get(workspace.id, id));
          if (chosen.firstName && chosen.lastName) {
            await createLinkRepository(trx).updateCustomer(workspace.id, customerId, {
              displayName: `${chosen.firstName} ${chosen.lastName}`,
            });
          }
        },
        invalidates: [hubTableChanged('issues'), hubTableChanged('links')],
      });
      // The same resolution, stored by a concurrent call since this one read the issue open.
      if (!created || !closed.issue) throw alreadySettled(await issues.get(workspace.id, id));
      const ran = (await engine.run(workspace.id, operation.id)) ?? operation;
      return { issue: closed.issue, operation: ran };
    },

    /** Closes an open issue without a write, for `reason` (trimmed, 1 to 500 characters). */
    async dismiss(workspace: string, id: string, reason: string, by: string): Promise<SyncIssue> {
      const trimmed = reason.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_DISMISS_REASON) {
        throw new SyncIssueRefused(
          `"reason" must be 1 to ${MAX_DISMISS_REASON} characters once trimmed, got ${trimmed.length}: say why the issue needs no fix.`,
          'BAD_USER_INPUT',
          'reason',
        );
      }
      await openIssue(workspace, id);
      const settled = await issues.settle(workspace, id, {
        kind: 'DISMISSED',
        winner: null,
        reason: trimmed,
        by,
        operationId: null,
      });
      if (!settled) throw alreadySettled(await issues.get(workspace, id));
      return settled;
    },
  };
}

export type SyncIssueResolutions = ReturnType<typeof createSyncIssueResolutions>;
