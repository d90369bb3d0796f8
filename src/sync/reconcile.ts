import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { CrmContact, PersonRecord, SourceName } from '../domain/model.ts';
import type { Workspace } from '../domain/workspace.ts';
import { SourceError } from '../domain/errors.ts';
import type { EventBus } from '../events/bus.ts';
import { cacheKeys, PEOPLE_ROLES, type CacheTarget, type PeopleRole } from '../cache/keys.ts';
import type { Identity } from '../links/identity.ts';
import { COMPARED_KINDS, compareRecords, missingIssue, type HeldRecord } from '../links/compare.ts';
import type { CustomerRow, LinkRepository } from '../store/links.ts';
import type {
  ReconciliationCounts,
  ReconciliationRun,
  ReconciliationRunRepository,
  ReconciliationTrigger,
} from '../store/reconciliation-runs.ts';
import { dedupeKey, type SyncIssueInput, type SyncIssueRepository } from '../store/sync-issues.ts';
import { systemLabel } from '../systems.ts';
import { nextDailyRun, type DailyAt } from './schedule.ts';

/** Recorded on each sync issue a run closes (`sync_issues.resolved_by`). */
export const RESOLVED_BY_RECONCILIATION = 'reconciliation';

export interface ReconcilerDeps {
  runs: ReconciliationRunRepository;
  links: LinkRepository;
  issues: SyncIssueRepository;
  identity: Identity;
  /** Drops the cached records of customers whose issues changed, on every replica. */
  bus: EventBus;
  workspaces: ReadonlyMap<string, Workspace>;
  logger: Logger;
}

export interface ReconcilerOptions {
  /** Customers compared per step: one batch read per system each. Default 100 (HubSpot's `batch/read` maximum). */
  pageSize?: number;
  /** How often a run writes its counts and proof of life. Default 10 s. */
  heartbeatMs?: number;
  /** A RUNNING run silent this long belongs to a replica that died; the next start fails it. Default 2 minutes. */
  staleAfterMs?: number;
}

export interface ReconciliationStatus {
  lastRun: ReconciliationRun | null;
  running: ReconciliationRun | null;
  nextRunAt: Date | null;
}

/**
 * Reconciliation: a comparison of every linked customer across the systems that hold people, raising
 * the sync issues it finds and closing the FIELD_MISMATCH, EMAIL_FORMAT_MISMATCH and
 * MISSING_IN_SYSTEM issues that no longer hold.
 *
 * Every vendor read goes through the connectors' upstream client without a request deadline, so it
 * is background work: the rate budgets serve interactive requests first and keep a reserve from it,
 * and a vendor's limits are never exceeded. One run at a time per workspace, on every replica (the
 * store refuses a second RUNNING run). A vendor that fails during a run fails only the customers it
 * holds: they are counted in `errors`, nothing is raised or closed for them, and the run completes.
 */
export function createReconciler(deps: ReconcilerDeps, options: ReconcilerOptions = {}) {
  const {
    pageSize = 100,
    heartbeatMs = 10_000, // 10 seconds
    staleAfterMs = 120_000, // 2 minutes
  } = options;
  const { runs, logger } = deps;
  /** Runs this process is doing, with their live counts. */
  const active = new Map<
    string,
    { run: ReconciliationRun; counts: ReconciliationCounts; done: Promise<void> }
  >();
  const stopping = new AbortController();
  // Every vendor call of a run listens on it; a page makes a hundred.
  setMaxListeners(0, stopping.signal);
  let schedule: { at: DailyAt; nextRunAt: Date; timer: NodeJS.Timeout } | null = null;

  const workspaceOf = (id: string): Workspace => {
    const workspace = deps.workspaces.get(id);
    if (!workspace) throw new Error(`no workspace "${id}"`);
    return workspace;
  };

  async function start(
    workspaceId: string,
    trigger: ReconciliationTrigger = 'request',
  ): Promise<ReconciliationRun> {
    const workspace = workspaceOf(workspaceId);
    const mine = active.get(workspaceId);
    if (mine) return { ...mine.run, ...mine.counts };
    if (stopping.signal.aborted) throw new Error('the hub is stopping; reconciliation cannot start');
    const { run, started } = await runs.begin(workspaceId, trigger, staleAfterMs);
    if (!started) return run;
    const counts: ReconciliationCounts = {
      customersChecked: 0,
      issuesRaised: 0,
      issuesClosed: 0,
      errors: 0,
      lastError: null,
    };
    const done = execute(workspace, run, counts).finally(() => active.delete(workspaceId));
    active.set(workspaceId, { run, counts, done });
    return run;
  }

  async function execute(workspace: Workspace, run: ReconciliationRun, counts: ReconciliationCounts) {
    const beat = setInterval(() => {
      runs
        .heartbeat(workspace.id, run.id, counts)
        .catch((error: unknown) => logger.warn({ err: error }, 'reconciliation heartbeat failed'));
    }, heartbeatMs);
    beat.unref();
    let state: 'COMPLETED' | 'FAILED' = 'COMPLETED';
    try {
      logger.info({ workspace: workspace.id, run: run.id, trigger: run.trigger }, 'reconciliation started');
      await reconcileWorkspace(deps, workspace, counts, {
        pageSize,
        signal: stopping.signal,
        onPage: () => runs.heartbeat(workspace.id, run.id, counts),
      });
    } catch (error) {
      state = 'FAILED';
      counts.lastError = stopping.signal.aborted
        ? 'the hub stopped before the run finished'
        : error instanceof Error
          ? error.message
          : String(error);
      logger.error({ err: error, workspace: workspace.id, run: run.id }, 'reconciliation failed');
    } finally {
      clearInterval(beat);
    }
    try {
      await runs.finish(workspace.id, run.id, state, counts);
      // Counts only: a vendor's error text can quote what was asked (an email), and logs carry no customer data.
      const { lastError: _kept, ...logged } = counts;
      logger.info({ workspace: workspace.id, run: run.id, state, ...logged }, 'reconciliation finished');
    } catch (error) {
      // The row stays RUNNING until its heartbeat is stale; the next start marks it FAILED.
      logger.error(
        { err: error, workspace: workspace.id, run: run.id },
        'recording the end of a reconciliation failed',
      );
    }
  }

  /** Starts each workspace's scheduled run, unless another replica already started this one. */
  async function fire(scheduledAt: Date) {
    for (const workspace of deps.workspaces.values()) {
      try {
        const last = await runs.lastStarted(workspace.id, 'schedule');
        // Replicas' timers fire moments apart; the first one's run is everyone's.
        if (last && last.getTime() >= scheduledAt.getTime() - staleAfterMs) continue;
        await start(workspace.id, 'schedule');
      } catch (error) {
        logger.error({ err: error, workspace: workspace.id }, 'starting the scheduled reconciliation failed');
      }
    }
  }

  function plan(at: DailyAt) {
    const nextRunAt = nextDailyRun(at, new Date());
    // Timers longer than 2^31-1 ms fire at once; a day is far below that.
    const timer = setTimeout(
      () => {
        void fire(nextRunAt).finally(() => {
          if (schedule && !stopping.signal.aborted) plan(at);
        });
      },
      Math.max(0, nextRunAt.getTime() - Date.now()),
    );
    timer.unref();
    schedule = { at, nextRunAt, timer };
  }

  return {
    /** Starts a run (returned at once, RUNNING) or returns the one already running here or on another replica. */
    start,

    async status(workspaceId: string): Promise<ReconciliationStatus> {
      workspaceOf(workspaceId);
      const mine = active.get(workspaceId);
      const [lastRun, running] = await Promise.all([
        runs.lastFinished(workspaceId),
        mine ? Promise.resolve({ ...mine.run, ...mine.counts }) : runs.running(workspaceId, staleAfterMs),
      ]);
      return { lastRun, running, nextRunAt: schedule?.nextRunAt ?? null };
    },

    /** Runs every workspace daily at `at` (UTC); null stops the schedule. Replaces any earlier schedule. */
    schedule(at: DailyAt | null) {
      if (schedule) clearTimeout(schedule.timer);
      schedule = null;
      if (at) plan(at);
    },

    /**
     * What the nightly timer does at `scheduledAt`: starts each workspace's run unless a scheduled run
     * has already started since (on this or another replica). Never throws; failures are logged.
     */
    runScheduled: fire,

    /** Resolves when this process's run of the workspace (if any) has finished and been recorded. */
    async idle(workspaceId: string): Promise<void> {
      await active.get(workspaceId)?.done;
    },

    /** Stops the schedule and the runs in progress (they are recorded FAILED) and waits for them. */
    async stop() {
      if (schedule) clearTimeout(schedule.timer);
      schedule = null;
      stopping.abort();
      await Promise.all([...active.values()].map((a) => a.done));
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

/** A person read from one system for one customer: the record, absent (not there), or the read failed. */
type Read = { record: PersonRecord } | { absent: true } | { failed: Error } | { unknown: true };

const isNotFound = (error: Error) => error instanceof SourceError && error.code === 'NOT_FOUND';

/**
 * One pass over a workspace's customers, a page at a time. Exported for the reconciler and tests;
 * `counts` is updated in place, so a caller can watch it.
 */
export async function reconcileWorkspace(
  deps: Pick<ReconcilerDeps, 'links' | 'issues' | 'identity' | 'bus'>,
  workspace: Workspace,
  counts: ReconciliationCounts,
  options: { pageSize: number; signal?: AbortSignal; onPage?: () => Promise<void> },
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const customers = await deps.links.listCustomers(workspace.id, options.pageSize, after);
    if (customers.length === 0) break;
    await reconcilePage(deps, workspace, customers, counts, options.signal);
    await options.onPage?.();
    if (customers.length < options.pageSize) break;
    after = customers.at(-1)?.id;
  }
}

async function reconcilePage(
  deps: Pick<ReconcilerDeps, 'links' | 'issues' | 'identity' | 'bus'>,
  workspace: Workspace,
  customers: readonly CustomerRow[],
  counts: ReconciliationCounts,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ws = workspace.id;
  const { sources } = workspace;
  const system = (role: PeopleRole): SourceName => sources[role].name;
  const ids = customers.map((c) => c.id);
  const linked = await deps.links.linksFor(ws, 'customer', ids);
  // No request deadline on these calls: that is what makes them background work (src/upstream/work.ts).
  const call = { signal };
  const readers = {
    crm: {
      get: (keys: readonly string[]) => sources.crm.getContacts(keys, call),
      byEmail: (emails: readonly string[]) => sources.crm.findContactsByEmail(emails, call),
    },
    payments: {
      get: (keys: readonly string[]) => sources.payments.getCustomers(keys, call),
      byEmail: (emails: readonly string[]) => sources.payments.findCustomersByEmail(emails, call),
    },
    accounting: {
      get: (keys: readonly string[]) => sources.accounting.getContacts(keys, call),
      byEmail: (emails: readonly string[]) => sources.accounting.findContactsByEmail(emails, call),
    },
  } satisfies Record<PeopleRole, unknown>;

  const reads = new Map<string, Record<PeopleRole, Read>>(
    ids.map((id) => [
      id,
      { crm: { unknown: true }, payments: { unknown: true }, accounting: { unknown: true } },
    ]),
  );
  const issuesRaised: SyncIssueInput[] = [];
  await Promise.all(
    PEOPLE_ROLES.map(async (role) => {
      const holders: Array<{ customerId: string; externalId: string }> = [];
      const unlinked: CustomerRow[] = [];
      for (const customer of customers) {
        const link = linked.get(customer.id)?.find((l) => l.system === system(role));
        if (link) holders.push({ customerId: customer.id, externalId: link.externalId });
        else if (customer.email) unlinked.push(customer);
      }
      const set = (customerId: string, read: Read) => (reads.get(customerId)![role] = read);
      const got = await batch(
        readers[role].get,
        holders.map((h) => h.externalId),
      );
      holders.forEach((h, i) => {
        const result = got[i]!;
        if (!(result instanceof Error)) set(h.customerId, { record: result });
        else set(h.customerId, isNotFound(result) ? { absent: true } : { failed: result });
      });
      // A customer not linked to this system yet: looked up by email as lazy linking does, and linked
      // when exactly one record matches.
      const found = await batch(
        readers[role].byEmail,
        unlinked.map((c) => c.email as string),
      );
      const notFound: string[] = [];
      for (const [i, customer] of unlinked.entries()) {
        const result = found[i]!;
        if (result instanceof Error) {
          set(customer.id, { failed: result });
        } else if (result.length === 0) {
          set(customer.id, { absent: true });
          notFound.push(customer.id);
        } else if (result.length > 1) {
          issuesRaised.push({
            customerId: customer.id,
            kind: 'AMBIGUOUS_MATCH',
            field: 'email',
            systems: [system(role)],
            details: { [system(role)]: result.map((r) => r.externalId) },
            message: `${result.length} ${systemLabel(system(role))} records share the email ${customer.email}; none was linked.`,
          });
        } else {
          const record = result[0]!;
          const outcome = await deps.identity.link(
            ws,
            customer.id,
            { role, system: system(role), externalId: record.externalId },
            { origin: 'reconciliation', because: `matches ${customer.email}` },
          );
          if (outcome !== 'conflict') set(customer.id, { record });
        }
      }
      // Lazy linking need not look again for an hour (src/links/lazy.ts).
      await deps.links.recordMisses(ws, 'customer', system(role), notFound);
    }),
  );

  const open = await deps.issues.list(ws, { customerIds: ids, kinds: COMPARED_KINDS });
  const openByCustomer = new Map<string, typeof open>();
  for (const issue of open) {
    const key = issue.customerId as string;
    openByCustomer.set(key, [...(openByCustomer.get(key) ?? []), issue]);
  }
  const invalidate: CacheTarget[] = [];
  const keys = cacheKeys(sources);

  for (const issue of issuesRaised) if ((await deps.issues.raise(ws, issue)).created) counts.issuesRaised++;
  for (const customer of customers) {
    const read = reads.get(customer.id)!;
    const failed = PEOPLE_ROLES.map((role) => read[role]).find((r): r is { failed: Error } => 'failed' in r);
    if (failed) {
      counts.errors++;
      counts.lastError = failed.failed.message;
      continue;
    }
    const outcome = decide(customer, read, system);
    if (!outcome) continue;
    counts.customersChecked++;
    const foundKeys = new Set(outcome.issues.map(dedupeKey));
    let changed = false;
    for (const issue of outcome.issues) {
      if ((await deps.issues.raise(ws, issue)).created) {
        counts.issuesRaised++;
        changed = true;
      }
    }
    for (const issue of openByCustomer.get(customer.id) ?? []) {
      if (foundKeys.has(dedupeKey(issue))) continue;
      // Only what this run could see: every system of the issue read, present or confirmed absent.
      if (!issue.systems.every((s) => outcome.decided.has(s))) continue;
      if (await deps.issues.resolve(ws, issue.id, RESOLVED_BY_RECONCILIATION)) {
        counts.issuesClosed++;
        changed = true;
      }
    }
    // The records read now may differ from what the record cache serves: let the next read fetch them.
    if (changed) {
      for (const role of PEOPLE_ROLES) {
        const r = read[role];
        if ('record' in r) invalidate.push(...keys.personChanged(role, r.record.externalId));
      }
    }
  }
  if (invalidate.length > 0) await deps.bus.invalidate(ws, invalidate);
}

/**
 * What holds for one customer, from each system's read: the sync issues (field disagreements, and
 * missing from a system, with the backfill's rule that a CRM lead is expected in the CRM only), and
 * the systems this run could decide about. Null when the customer is in no system at all.
 */
export function decide(
  customer: Pick<CustomerRow, 'id' | 'email'>,
  read: Record<PeopleRole, Read>,
  system: (role: PeopleRole) => SourceName,
): { issues: SyncIssueInput[]; decided: Set<SourceName> } | null {
  const held: HeldRecord[] = [];
  const absent: PeopleRole[] = [];
  const decided = new Set<SourceName>();
  for (const role of PEOPLE_ROLES) {
    const r = read[role];
    if ('record' in r) {
      held.push({ system: system(role), record: r.record });
      decided.add(system(role));
    } else if ('absent' in r) {
      absent.push(role);
      decided.add(system(role));
    }
  }
  if (held.length === 0) return null;
  const issues = compareRecords(customer.id, held);
  const crm = read.crm;
  const leadOnlyInCrm =
    absent.length === PEOPLE_ROLES.length - 1 &&
    'record' in crm &&
    (crm.record as CrmContact).preSale === true;
  const email = customer.email ?? held[0]!.record.email;
  if (email && !leadOnlyInCrm) {
    const present = held.map((h) => h.system);
    for (const role of absent) issues.push(missingIssue(customer.id, email, present, system(role)));
  }
  return { issues, decided };
}

/** A port's batch read, with a whole-batch failure turned into that error for every key. */
async function batch<T>(
  read: (keys: readonly string[]) => Promise<Array<T | Error>>,
  keys: readonly string[],
): Promise<Array<T | Error>> {
  if (keys.length === 0) return [];
  try {
    const out = await read(keys);
    if (out.length !== keys.length) {
      throw new Error(`a batch read returned ${out.length} results for ${keys.length} keys`);
    }
    return out;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    return keys.map(() => failure);
  }
}
