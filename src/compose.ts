import type { Logger } from 'pino';
import { createHub, type Hub, type HubOptions } from './hub.ts';
import type { Workspace } from './domain/workspace.ts';
import type { Schedule } from './availability/schedule.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createLogger } from './observability/logger.ts';
import { createSourceStateRepository } from './store/source-state.ts';
import { CONNECTION_RESOURCE, createConnections } from './connections/connections.ts';
import type { Store } from './store/store.ts';
import { backfillLinks } from './links/backfill.ts';
import { createWorkspaceDirectory, WORKSPACE_RESOURCE } from './workspaces/directory.ts';
import { createOutbound, type OutboundSettings } from './outbound/outbound.ts';
import {
  connectSources,
  type ConnectedSources,
  type ConnectOptions,
  type SourceBindings,
} from './sources.ts';

/**
 * The composition root: the one place a hub is assembled from a store and each workspace's bound
 * adapters. `npm start` (src/app.ts), the tests (test/support/hub.ts) and the benchmarks
 * (bench/support.ts) all build theirs here, so what they run is what ships.
 */
export interface ComposeOptions extends Omit<HubOptions, 'store' | 'workspaces' | 'metrics' | 'logger'> {
  store: Store;
  /** One entry per business; the first is the default. */
  workspaces: Array<{
    id: string;
    name?: string;
    currency?: string;
    bindings: SourceBindings;
    /** Its own services and opening hours; absent: `schedule` (the hub's). */
    schedule?: Schedule;
  }>;
  /** Upstream policy for every workspace: timeouts, rate budgets, breaker, retries. */
  upstream?: Omit<ConnectOptions, 'workspace' | 'metrics' | 'state' | 'logger'>;
  /**
   * Keep rotated OAuth refresh tokens in the store (live vendors). Off for in-process sandboxes that
   * start afresh each run: a token rotated by the last run means nothing to them. Default true.
   */
  keepTokens?: boolean;
  metrics?: Metrics;
  logger?: Logger;
  /** Outbound webhook settings (src/outbound/); its worker is started by the app, not here. */
  outbound?: Partial<OutboundSettings>;
}

export interface Composed {
  hub: Hub;
  /** Each workspace's OAuth token providers (by role), for operators' status and tests. */
  tokens: Map<string, ConnectedSources['tokens']>;
}

export function composeHub(options: ComposeOptions): Composed {
  const { store, workspaces: entries, upstream, keepTokens = true, outbound, ...hubOptions } = options;
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? createLogger();
  const state = keepTokens ? createSourceStateRepository(store) : undefined;
  const tokens = new Map<string, ConnectedSources['tokens']>();
  // Console connections live in the store even when rotated tokens do not (keepTokens off).
  const connections = createConnections(store);
  const workspaces: Workspace[] = entries.map(({ id, name, currency, bindings, schedule }) => {
    const connected = connectSources(bindings, {
      ...upstream,
      workspace: id,
      metrics,
      state,
      logger,
      connections,
    });
    tokens.set(id, connected.tokens);
    return {
      id,
      name: name ?? id,
      currency: currency ?? 'GBP',
      sources: connected.sources,
      ...(schedule ? { schedule } : {}),
    };
  });
  const hub = createHub({ ...hubOptions, store, workspaces, metrics, logger });
  hub.connections = connections;
  hub.outbound = createOutbound({ store, bus: hub.bus, metrics, logger }, outbound);
  // A connection changed on any replica: every replica's token providers for it start afresh.
  connections.announce = (workspace, system) =>
    hub.bus.invalidate(workspace, [{ source: system, resource: CONNECTION_RESOURCE }]);
  const [home] = entries;
  const directory = createWorkspaceDirectory({
    store,
    hub,
    connections,
    bindings: home!.bindings,
    upstream: { ...upstream, metrics, state, logger },
    announce: (id) => hub.bus.invalidate(id, [{ source: 'hub', resource: WORKSPACE_RESOURCE }]),
    // Its customers are linked once its CRM, payments and accounting are connected.
    onReady: async (workspace) => {
      logger.info({ workspace: workspace.id }, `workspace "${workspace.id}": linking customers (backfill)…`);
      const report = await backfillLinks(hub, workspace, {
        onProgress: (message) => logger.info({ workspace: workspace.id }, message),
      });
      logger.info(
        { workspace: workspace.id, customers: report.customers },
        `workspace "${workspace.id}": customers linked`,
      );
    },
    logger,
  });
  hub.directory = directory;
  hub.bus.onInvalidate((workspace, targets) => {
    for (const t of targets) {
      if (t.resource === CONNECTION_RESOURCE) connections.changedHere(workspace, t.source);
      if (t.resource === WORKSPACE_RESOURCE)
        directory
          .learn(workspace)
          .catch((error: unknown) =>
            logger.error({ err: error, workspace }, 'serving a new workspace failed'),
          );
    }
  });
  return { hub, tokens };
}
