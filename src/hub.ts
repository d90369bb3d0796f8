import type { Logger } from 'pino';
import type { Workspace } from './domain/workspace.ts';
import type { WorkspaceDirectory } from './workspaces/directory.ts';
import type { Store } from './store/store.ts';
import { createLinkRepository, type LinkRepository } from './store/links.ts';
import { createSyncIssueRepository, type SyncIssueRepository } from './store/sync-issues.ts';
import { createRecordCache, type RecordCache, type RecordCacheOptions } from './cache/record-cache.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createLogger } from './observability/logger.ts';
import { createEngine, type Engine, type EngineOptions } from './operations/engine.ts';
import { operationKinds } from './operations/kinds/index.ts';
import { createLocalBus, type EventBus } from './events/bus.ts';
import type { CacheTarget } from './cache/keys.ts';
import {
  createResponseCache,
  hubTableChanged,
  type ResponseCache,
  type ResponseCacheOptions,
} from './cache/response-cache.ts';
import { createInbox, type Inbox } from './webhooks/inbox.ts';
import { createIdentity, type Identity } from './links/identity.ts';
import { createReconciler, type Reconciler, type ReconcilerOptions } from './sync/reconcile.ts';
import { createReconciliationRunRepository } from './store/reconciliation-runs.ts';
import type { Connections } from './connections/connections.ts';
import type { Outbound } from './outbound/outbound.ts';
import { defaultSchedule, type Schedule } from './availability/schedule.ts';
import {
  createDepositSettlement,
  DEFAULT_DEPOSIT_MINUTES,
  type DepositSettlement,
} from './deposits/deposits.ts';

export type { Workspace, WorkspaceSources } from './domain/workspace.ts';

/** The workspace's own services and opening hours, else the hub's (the environment's). */
export const scheduleOf = (hub: Pick<Hub, 'schedule'>, workspace: Workspace): Schedule =>
  workspace.schedule ?? hub.schedule;

export interface HubOptions {
  store: Store;
  workspaces: Workspace[];
  cache?: RecordCacheOptions;
  /** The GraphQL response cache in front of execution; off whenever the record cache is. */
  responses?: ResponseCacheOptions;
  /** False makes every loader fetch one key per upstream call (benchmarks compare). Default true. */
  batching?: boolean;
  metrics?: Metrics;
  logger?: Logger;
  /** Retry and lease settings of the write engine (tests shorten them). */
  engine?: EngineOptions;
  /** Domain event fan-out; in-process by default, Redis when scaled out. */
  bus?: EventBus;
  /** A GraphQL request's deadline: every upstream call it makes ends by then. Default 10 s. */
  requestDeadlineMs?: number;
  /** Reconciliation's page size and heartbeat (tests shorten them); its schedule is set by the app. */
  reconcile?: ReconcilerOptions;
  /**
   * Services and opening hours of workspaces that have none of their own (`Workspace.schedule`);
   * default: the sandbox business's six services, Mon–Fri 09:00–17:30 and Sat 09:00–13:00, London.
   */
  schedule?: Schedule;
  /** Deposit links (src/deposits/): how long one stays open, and where the payment page sends the customer back. */
  deposits?: Partial<DepositSettings>;
}

export interface DepositSettings {
  /** Minutes a deposit link stays open (SWITCHBOARD_DEPOSIT_MINUTES, 30–1440; default 35). */
  minutes: number;
  /**
   * Where the payment page sends the customer afterwards, with `?deposit=paid|cancelled&reference=`
   * (SWITCHBOARD_DEPOSIT_RETURN_URL); null: the hub's own `/deposit/return` page.
   */
  returnUrl: string | null;
}

/** Everything a request needs that outlives it: store, repositories, cache, metrics, workspaces. */
export interface Hub {
  store: Store;
  links: LinkRepository;
  issues: SyncIssueRepository;
  /** Links vendor records to customers, for every path that does (see src/links/identity.ts). */
  identity: Identity;
  /** Vendor records behind the loaders. Clearing, setting or invalidating here does the same to `responses`. */
  cache: RecordCache;
  /** Whole query results, dropped through the records and tables each read (src/cache/response-cache.ts). */
  responses: ResponseCache;
  metrics: Metrics;
  logger: Logger;
  workspaces: ReadonlyMap<string, Workspace>;
  /** Serves one more workspace from now on (a workspace made at run time: src/workspaces/). */
  addWorkspace(workspace: Workspace): void;
  defaultWorkspace: Workspace;
  batching: boolean;
  requestDeadlineMs: number;
  /** Runs mutations as operations over the outbox; `engine.startWorker()` runs the background retries. */
  engine: Engine;
  /** Domain events to subscribers, on this replica and (with Redis) every other. */
  bus: EventBus;
  /** Vendor webhook events, stored before they are acknowledged. */
  inbox: Inbox;
  /** Compares every linked customer across the systems, nightly and on demand (src/sync/reconcile.ts). */
  reconciler: Reconciler;
  /** Vendors connected from the console (src/connections/); absent on hubs built without compose. */
  connections?: Connections;
  /** Workspaces made at run time (src/workspaces/); absent on hubs built without compose. */
  directory?: WorkspaceDirectory;
  /** Webhooks to the business's own tools (src/outbound/); absent on hubs built without compose. */
  outbound?: Outbound;
  /** Services and opening hours of a workspace without its own (see `scheduleOf`). */
  schedule: Schedule;
  deposits: DepositSettings;
  /** Settles deposit links when the payments system reports them paid or expired (src/deposits/). */
  depositSettlement: DepositSettlement;
  close(): Promise<void>;
}

export function createHub(options: HubOptions): Hub {
  const [first] = options.workspaces;
  if (!first) throw new Error('createHub needs at least one workspace');
  const ids = options.workspaces.map((w) => w.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`workspace id "${dup}" is configured twice`);
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? createLogger();
  const bus = options.bus ?? createLocalBus(options.logger);
  const links = invalidatingLinks(createLinkRepository(options.store.db), bus);
  const issues = announcingIssues(createSyncIssueRepository(options.store.db), bus, logger);
  const identity = createIdentity({ links, issues });
  const workspaces = new Map(options.workspaces.map((w) => [w.id, w]));
  const engine = createEngine(
    { store: options.store, bus, logger, workspaces, identity },
    operationKinds,
    options.engine,
  );
  const hub: Hub = {
    store: options.store,
    links,
    issues,
    identity,
    ...caches(options, metrics),
    metrics,
    logger,
    workspaces,
    addWorkspace(workspace) {
      if (workspaces.has(workspace.id)) throw new Error(`workspace "${workspace.id}" is already served`);
      workspaces.set(workspace.id, workspace);
    },
    defaultWorkspace: first,
    schedule: options.schedule ?? defaultSchedule(),
    deposits: {
      minutes: options.deposits?.minutes ?? DEFAULT_DEPOSIT_MINUTES,
      returnUrl: options.deposits?.returnUrl ?? null,
    },
    depositSettlement: createDepositSettlement({
      store: options.store,
      engine,
      identity,
      logger,
      minutes: () => hub.deposits.minutes,
    }),
    batching: options.batching ?? true,
    requestDeadlineMs: options.requestDeadlineMs ?? 10_000, // 10 seconds
    engine,
    bus,
    inbox: createInbox(options.store.db, options.store.dialect),
    reconciler: createReconciler(
      {
        runs: createReconciliationRunRepository(options.store.db),
        links,
        issues,
        identity,
        bus,
        workspaces,
        logger,
      },
      options.reconcile,
    ),
    async close() {
      await hub.reconciler.stop();
      await hub.outbound?.close();
      stopInvalidating();
      await hub.bus.close();
      await Promise.all(
        [...workspaces.values()].flatMap((w) => Object.values(w.sources).map((s) => s.close())),
      );
      await options.store.close();
    },
  };
  // Every replica drops what an event or a write made stale before its subscribers read, wherever it
  // was published.
  const drop = (workspace: string, targets: readonly CacheTarget[]) => {
    for (const t of targets) hub.cache.invalidate(workspace, t.source, t.resource, t.key);
  };
  const stopListening = hub.bus.listen('*', (event) => drop(event.workspace, event.invalidate));
  const stopDropping = hub.bus.onInvalidate(drop);
  const stopInvalidating = () => {
    stopListening();
    stopDropping();
  };
  // Operations report their progress as events, so `operationUpdated` works on every replica.
  hub.engine.onUpdate((operation) => {
    void hub.bus
      .publish({
        id: `operation:${operation.id}:${operation.updatedAt.toISOString()}:${operation.state}`,
        type: 'OPERATION_UPDATED',
        workspace: operation.workspace,
        occurredAt: operation.updatedAt,
        source: null,
        customerId: typeof operation.input.customerId === 'string' ? operation.input.customerId : null,
        operationId: operation.id,
        invalidate: [],
      })
      .catch((error: unknown) => hub.logger.error({ err: error }, 'publishing an operation update failed'));
  });
  return hub;
}

/** Sync issues that publish each new disagreement, as news for the operator's dashboard. */
function announcingIssues(issues: SyncIssueRepository, bus: EventBus, logger: Logger): SyncIssueRepository {
  return {
    ...issues,
    async raise(workspace, input) {
      const result = await issues.raise(workspace, input);
      // Raised again, an open issue is left as it is: nothing an answer holds changed.
      if (result.created) {
        await bus.invalidate(workspace, [hubTableChanged('issues')]);
        await bus
          .publish({
            id: `sync-issue:${result.issue.id}`,
            type: 'SYNC_ISSUE_RAISED',
            workspace,
            occurredAt: result.issue.detectedAt,
            source: null,
            customerId: result.issue.customerId,
            syncIssueId: result.issue.id,
            invalidate: [],
          })
          .catch((error: unknown) => logger.error({ err: error }, 'publishing a sync issue failed'));
      }
      return result;
    },
    async resolve(workspace, id, by) {
      const resolved = await issues.resolve(workspace, id, by);
      if (resolved) await bus.invalidate(workspace, [hubTableChanged('issues')]);
      return resolved;
    },
    async settle(workspace, id, resolution) {
      const settled = await issues.settle(workspace, id, resolution);
      if (settled) await bus.invalidate(workspace, [hubTableChanged('issues')]);
      return settled;
    },
  };
}

/**
 * Customers and links that tell every replica's response cache when they change (after the write, so
 * a response that read the old rows while it ran is refused by the cache's own check).
 */
function invalidatingLinks(links: LinkRepository, bus: EventBus): LinkRepository {
  const changed = (workspace: string) => bus.invalidate(workspace, [hubTableChanged('links')]);
  return {
    ...links,
    async createCustomer(workspace, input) {
      const row = await links.createCustomer(workspace, input);
      await changed(workspace);
      return row;
    },
    async updateCustomer(workspace, id, changes) {
      await links.updateCustomer(workspace, id, changes);
      await changed(workspace);
    },
    async link(...args) {
      const result = await links.link(...args);
      if (result === 'created') await changed(args[0]);
      return result;
    },
  };
}

/**
 * The record cache and the response cache in front of execution, one view: whatever drops, sets or
 * clears vendor records drops the responses that read them, so callers (tests, benchmarks, the
 * search resolver) never need to know there are two.
 */
function caches(options: HubOptions, metrics: Metrics): Pick<Hub, 'cache' | 'responses'> {
  const records = createRecordCache({ metrics, ...options.cache });
  const responses = createResponseCache({
    metrics,
    ...options.responses,
    enabled: (options.cache?.enabled ?? true) && (options.responses?.enabled ?? true),
  });
  const cache: RecordCache = Object.create(records);
  cache.set = (workspace, source, resource, key, value, ttlMs) => {
    records.set(workspace, source, resource, key, value, ttlMs);
    responses.invalidate(workspace, [{ source, resource, key }]);
  };
  cache.invalidate = (workspace, source, resource, key) => {
    responses.invalidate(workspace, [{ source, resource, key }]);
    return records.invalidate(workspace, source, resource, key);
  };
  cache.clear = () => {
    records.clear();
    responses.clear();
  };
  return { cache, responses };
}
